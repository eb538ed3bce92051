"""HL7 v2 input mutated every way a sender or a disk can (bit flips, truncation, delimiter
and escape abuse, encodings, segment floods) ends staged, filtered or quarantined with a
catalogue code, never in an uncaught exception, in bounded time and memory. Seeds: the
public HL7 v2 samples beside the project when present (``../shared/external/hl7v2``, test
input only), else synthetic messages; hypothesis draws the mutations (``hl7_mutants.mutant``,
shared with the fast-path differential test). Each mutant is read with hl7apy's whole parse
and with the fast path, which must agree record for record (``fuzz_harness.check_hl7``).

Each hypothesis example is a batch of ``BATCH`` mutants (per-example overhead paid once a
batch), checked in worker processes (both cores: nearly all the time is hl7apy's parse, not
the generation). A failing batch is shrunk by hypothesis like any example. The counts go to
``.state/fuzz-summary-hl7.json`` and one line at the end of the run (fuzz_harness).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import statistics
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor

import pytest
from fuzz_harness import FuzzStats, check_hl7, worker_count
from hl7_mutants import mutant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: mutants per run (10,000 in `make test`); INTAKEFLOW_FUZZ_EXAMPLES sets another count
EXAMPLES = int(os.environ.get("INTAKEFLOW_FUZZ_EXAMPLES", "10000"))
BATCH = 100
#: bounds per message: median time, and the tracemalloc peak of any measured mutant
MEDIAN_SECONDS = 0.050
PEAK_BYTES = 64 * 2**20


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor | None]:
    workers = worker_count()
    if workers == 1:
        yield None
        return
    # spawn: a fresh interpreter per worker, never a fork of the test process and its threads
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


def test_every_mutant_is_staged_filtered_or_quarantined(pool: Executor | None) -> None:
    stats = FuzzStats("hl7", workers=worker_count())

    @settings(max_examples=math.ceil(EXAMPLES / BATCH), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(mutant(), min_size=BATCH, max_size=BATCH))
    def check(batch: list[bytes]) -> None:
        outcomes = list(pool.map(check_hl7, batch, chunksize=1)) if pool else [check_hl7(raw) for raw in batch]
        wrong = [problem for outcome in outcomes for problem in stats.add(outcome)]
        assert not wrong, f"{len(wrong)} mutant(s) did not end staged, filtered or quarantined: {sorted(set(wrong))}"

    try:
        check()
    finally:
        summary = stats.publish()
    assert stats.tried >= EXAMPLES, f"hypothesis ran {stats.tried} of {EXAMPLES} mutants"
    median = statistics.median(stats.times)
    assert median <= MEDIAN_SECONDS, f"median {median * 1000:.1f} ms per message"
    worst = summary["memory_per_message"]["tracemalloc_peak_worst_bytes"]
    assert summary["memory_per_message"]["mutants_measured"] >= stats.tried // 25  # one in MEMORY_EVERY per worker
    assert worst <= PEAK_BYTES, f"a message peaked at {worst / 2**20:.1f} MiB"
