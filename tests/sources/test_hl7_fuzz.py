"""HL7 v2 input mutated every way a sender or a disk can (bit flips, truncation, delimiter
and escape abuse, encodings, segment floods) ends staged, filtered or quarantined with a
catalogue code, never in an uncaught exception, in bounded time and memory. Seeds: the
public HL7 v2 samples beside the project when present (``../shared/external/hl7v2``, test
input only), else this suite's synthetic messages; hypothesis draws the mutations.

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
from pathlib import Path

import pytest
from fuzz_harness import FuzzStats, check_hl7, worker_count
from hl7_samples import message, message_without_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "external" / "hl7v2"
SEEDS: list[bytes] = sorted(p.read_bytes() for p in EXTERNAL.glob("*.hl7")) if EXTERNAL.is_dir() else []
SEEDS = SEEDS or [message(f"SEED{i}").encode() for i in range(5)] + [message_without_text().encode()]
ABUSE = [b"\\.sp99999999\\", b"\\X00\\", b"\\X" + b"41" * 200 + b"\\", b"\\E\\\\E\\", b"\\", b"|", b"^~\\&", b"\x00", b"\x1c\r",
         b"\x0b", b"\r\n", b"\n", b"\xff\xfe", b"MSH|", b"FHS|^~\\&|\rBHS|^~\\&|\r", b"BTS|9\r", b"#", "é".encode("latin-1")]
#: mutants per run (10,000 in `make test`); INTAKEFLOW_FUZZ_EXAMPLES sets another count
EXAMPLES = int(os.environ.get("INTAKEFLOW_FUZZ_EXAMPLES", "10000"))
BATCH = 100
#: bounds per message: median time, and the tracemalloc peak of any measured mutant
MEDIAN_SECONDS = 0.050
PEAK_BYTES = 64 * 2**20


@st.composite
def mutant(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "flood", "delete", "encode"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(ABUSE) | st.binary(max_size=8))
        elif op == "flood":  # one segment repeated, or many segments of unknown names
            name = draw(st.sampled_from([b"OBX", b"NTE", b"QXZ", b"ZZZ", b"PID"]))
            data += b"".join(name + b"|" + str(i).encode() + b"\r" for i in range(draw(st.integers(1, 200))))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "encode":
            data = bytearray(bytes(data).decode("latin-1").encode(draw(st.sampled_from(["utf-16", "utf-8", "cp1252"])),
                                                                  errors="replace"))
    return bytes(data)


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
