"""``process_pending`` with batches in flight at once (issue 12): every message is processed
and stored once, saves stay in claim order, rows in flight are never handed out again or
quarantined, failures are retried within the run as before, and a failed save stops the
loop with every unsaved row left for the retry of the same token."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.results import InboundMessage, PipelineInput, PipelineResult
from intakeflow.store.pg_store import Store
from intakeflow.store.processing import process_pending
from intakeflow.store.staged import RunRef

pytestmark = pytest.mark.integration


class SlowPipeline:
    """The conftest's FakePipeline, slowed down so that batches overlap, recording which
    ids it saw and how many calls ran at once."""

    def __init__(self, inner: Any, delay: float = 0.05) -> None:
        self.inner = inner
        self.version = inner.version
        self.delay = delay
        self.seen: Counter[str] = Counter()
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def process(self, messages: Sequence[PipelineInput]) -> list[PipelineResult]:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.seen.update(m.id for m in messages)
        try:
            time.sleep(self.delay)
            return self.inner.process(messages)
        finally:
            with self._lock:
                self.running -= 1


def _msgs(n: int, prefix: str = "P", fail: frozenset[int] = frozenset()) -> list[InboundMessage]:
    return [InboundMessage("hl7v2", f"{prefix}|{i:04d}", ("FAIL-ME " if i in fail else "") + f"please bill chart {1000000 + i}",
                           "hl7_note", f"FAC|P{i}", datetime(2024, 3, 5, tzinfo=UTC)) for i in range(n)]


def _store(pg_dsn: str, schema: str, **options: Any) -> Store:
    store = Store(pg_dsn, schema=schema, pipeline_version="fake-model@1", batch_size=4, **options)
    store.migrate()
    return store


def _per_message(store: Store) -> dict[str, tuple[int, str, int, int]]:
    """source id -> (message rows, status, intent rows, attempts)."""
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL(
            "SELECT m.source_id, count(DISTINCT m.id), min(m.status), count(i.message_id), max(m.attempts) "
            "FROM {s}.messages m LEFT JOIN {s}.intents i ON i.message_id = m.id GROUP BY 1").format(
            s=sql.Identifier(store.schema))).fetchall()
    return {str(r[0]): (int(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in rows}


def test_batches_overlap_and_each_message_is_processed_once(pg_dsn: str, store_schema: str, fake_pipeline: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(pg_dsn, store_schema)
    store.stage(_msgs(57), "r")
    pipeline = SlowPipeline(fake_pipeline)
    order: list[int] = []
    real_save = Store.save_results

    def save(self: Store, pairs: Any, run: RunRef | None = None) -> Any:
        pairs = list(pairs)
        order.append(min(m.id for m, _ in pairs))
        return real_save(self, pairs, run)

    monkeypatch.setattr(Store, "save_results", save)
    tally = process_pending(store, pipeline, "tok", batch_size=5, workers=2, run=RunRef("dag", "run-1"))
    assert pipeline.most == 2  # two batches really were in the pipeline at once
    assert set(pipeline.seen.values()) == {1} and len(pipeline.seen) == 57  # each message once
    assert order == sorted(order) and len(order) == 12  # saved batch by batch, in claim order
    assert tally.as_dict()["processed"] == 57 and tally.batches == 12 and tally.outcomes["claimed"] == 57
    assert set(_per_message(store).values()) == {(1, "processed", 1, 1)}
    again = process_pending(store, pipeline, "tok", batch_size=5, workers=2)  # re-run: nothing left to do
    assert again.as_dict()["claimed"] == 0 and set(_per_message(store).values()) == {(1, "processed", 1, 1)}


def test_one_worker_runs_one_batch_at_a_time(pg_dsn: str, store_schema: str, fake_pipeline: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(pg_dsn, store_schema)
    store.stage(_msgs(11), "r")
    pipeline = SlowPipeline(fake_pipeline, delay=0.05)
    saving_while_processing: list[int] = []
    real_save = Store.save_results

    def save(self: Store, pairs: Any, run: RunRef | None = None) -> Any:
        time.sleep(0.01)  # the worker has picked up the next batch by now, if there is one
        saving_while_processing.append(pipeline.running)
        return real_save(self, pairs, run)

    monkeypatch.setattr(Store, "save_results", save)
    tally = process_pending(store, pipeline, "tok", batch_size=3, workers=1)
    assert pipeline.most == 1 and tally.batches == 4 and tally.outcomes["processed"] == 11
    assert saving_while_processing[:3] == [1, 1, 1]  # the next batch ran while one was saved
    store.stage(_msgs(20, "Q"), "r")
    tally = process_pending(store, pipeline, "tok", batch_size=3, workers=1, max_batches=2)
    assert tally.batches == 2 and store.counts()["received"] == 14  # max_batches counts claims: none left claimed


def test_rows_in_flight_on_their_last_attempt_are_not_quarantined(pg_dsn: str, store_schema: str,
                                                                   fake_pipeline: Any) -> None:
    """max_attempts=1: a batch in flight has used its one attempt, so a claim ahead that did
    not leave it out would quarantine it (E025) while it is being processed."""
    store = _store(pg_dsn, store_schema, max_attempts=1)
    store.stage(_msgs(30), "r")
    tally = process_pending(store, SlowPipeline(fake_pipeline), "tok", batch_size=4, workers=2)
    assert tally.outcomes["processed"] == 30
    counts = store.counts()
    assert (counts["quarantined"], counts["quarantine_rows"]) == (0, 0)
    assert set(_per_message(store).values()) == {(1, "processed", 1, 1)}


def test_failures_are_retried_within_the_run_until_quarantined(pg_dsn: str, store_schema: str,
                                                                fake_pipeline: Any) -> None:
    store = _store(pg_dsn, store_schema, max_attempts=3)
    store.stage(_msgs(20, fail=frozenset({3, 17})), "r")
    tally = process_pending(store, SlowPipeline(fake_pipeline, delay=0.01), "tok", batch_size=4, workers=2)
    rows = _per_message(store)
    assert rows["P|0003"] == (1, "quarantined", 0, 3) and rows["P|0017"] == (1, "quarantined", 0, 3)
    assert sum(1 for r in rows.values() if r == (1, "processed", 1, 1)) == 18
    assert tally.outcomes["failed"] == 4 and tally.outcomes["quarantined"] == 2 and tally.errors["E007"] == 6


def test_a_failed_save_stops_the_loop_and_the_retry_resumes(pg_dsn: str, store_schema: str, fake_pipeline: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(pg_dsn, store_schema)
    store.stage(_msgs(40), "r")
    pipeline = SlowPipeline(fake_pipeline)
    real_save = Store.save_results
    calls: list[int] = []

    def flaky(self: Store, pairs: Any, run: RunRef | None = None) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real_save(self, pairs, run)

    monkeypatch.setattr(Store, "save_results", flaky)
    with pytest.raises(psycopg.OperationalError):
        process_pending(store, pipeline, "tok", batch_size=5, workers=2)
    assert not [t for t in threading.enumerate() if t.name.startswith("intakeflow-process")]  # threads stopped
    mid = _per_message(store)
    assert sum(1 for r in mid.values() if r[1] == "processed") == 10  # two batches saved
    tally = process_pending(store, pipeline, "tok", batch_size=5, workers=2)  # the retry: same token
    assert tally.outcomes["processed"] == 30
    after = _per_message(store)
    assert sorted(after) == sorted(m.source_id for m in _msgs(40))  # 0 lost
    assert {r[:3] for r in after.values()} == {(1, "processed", 1)}  # 0 duplicated


def test_processes_share_the_queue_and_process_each_message_once(pg_dsn: str, store_schema: str) -> None:
    """``process_in_processes``: a spawned process (the real pipeline, built from the shared
    configuration) takes batches while this one, slowed down, works on its own."""
    from intakeflow.pipeline import Pipeline, PipelineConfig
    from intakeflow.store.processing import ProcessShare, process_in_processes

    real = Pipeline(PipelineConfig())
    store = Store(pg_dsn, schema=store_schema, pipeline_version=real.version)
    store.migrate()
    store.stage(_msgs(80), "r")
    # alone this process would need 20 batches x 0.4 s; the other starts in 2-3 s (spawn, model)
    here = SlowPipeline(real, delay=0.4)
    share = ProcessShare.of(store, real.config, batch_size=4, workers=1, run_id="run-p")
    tally = process_in_processes(share, 2, here, store, "tok-parent")
    assert 0 < len(here.seen) < 80 and set(here.seen.values()) == {1}  # the other process took the rest
    assert tally.as_dict()["processed"] == 80 and tally.outcomes["claimed"] == 80 and tally.batches == 20
    assert set(_per_message(store).values()) == {(1, "processed", 1, 1)}


def test_run_tallies_add_up() -> None:
    from intakeflow.store.processing import RunTally

    a, b = RunTally(), RunTally()
    a.outcomes.update(processed=3, claimed=3)
    a.batches, a.needs_review, a.pipeline_s = 1, 1, 0.5
    b.outcomes.update(processed=2, failed=1, claimed=3)
    b.intents.update(billing_inquiry=2)
    b.batches, b.fallback_usd, b.pipeline_s = 2, 0.25, 1.0
    a.merge(b)
    assert a.outcomes == Counter(processed=5, failed=1, claimed=6) and a.intents == Counter(billing_inquiry=2)
    assert (a.batches, a.needs_review, a.fallback_usd, a.pipeline_s) == (3, 1, 0.25, 1.5)


def test_when_this_process_fails_the_others_stop_claiming(pg_dsn: str, store_schema: str) -> None:
    from intakeflow.pipeline import Pipeline, PipelineConfig
    from intakeflow.store.processing import ProcessShare, process_in_processes

    real = Pipeline(PipelineConfig())
    store = Store(pg_dsn, schema=store_schema, pipeline_version=real.version)
    store.migrate()
    store.stage(_msgs(3000), "r")

    def lost(*args: Any, **kwargs: Any) -> Any:
        raise psycopg.OperationalError("connection lost")

    store.save_results = lost  # type: ignore[method-assign]
    share = ProcessShare.of(store, real.config, batch_size=4, workers=1, run_id="run-f")
    started = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        process_in_processes(share, 2, real, store, "tok-parent")
    # the spawned process alone would need about 15 s for 3,000 messages; it stopped instead
    done = sum(1 for v in _per_message(store).values() if v[1] == "processed")
    assert done < 3000 and time.monotonic() - started < 60


def test_a_process_that_dies_is_reported_as_e053(pg_dsn: str, store_schema: str) -> None:
    import multiprocessing
    import os
    import signal

    from intakeflow.errors import IntakeflowError
    from intakeflow.pipeline import Pipeline, PipelineConfig
    from intakeflow.store.processing import ProcessShare, process_in_processes

    real = Pipeline(PipelineConfig())
    store = Store(pg_dsn, schema=store_schema, pipeline_version=real.version)
    store.migrate()
    store.stage(_msgs(40), "r")

    class KillsTheOther(SlowPipeline):
        def process(self, messages: Sequence[PipelineInput]) -> list[PipelineResult]:
            for child in multiprocessing.active_children():  # the spawned share, out of memory say
                os.kill(child.pid or 0, signal.SIGKILL)
            return super().process(messages)

    share = ProcessShare.of(store, real.config, batch_size=4, workers=1, run_id="run-k")
    with pytest.raises(IntakeflowError, match="E053"):
        process_in_processes(share, 2, KillsTheOther(real, delay=0.0), store, "tok-parent")
    assert set(_per_message(store)) == {f"P|{i:04d}" for i in range(40)}  # nothing lost: claimed or processed


def test_the_fallback_budget_is_not_multiplied(pg_dsn: str, store_schema: str) -> None:
    from dataclasses import replace

    from intakeflow.errors import IntakeflowError
    from intakeflow.pipeline import PipelineConfig
    from intakeflow.pipeline.fallback.config import FallbackConfig
    from intakeflow.store.processing import ProcessShare, process_in_processes

    config = replace(PipelineConfig(), fallback=FallbackConfig(enabled=True))
    store = _store(pg_dsn, store_schema)
    share = ProcessShare.of(store, config, batch_size=4, workers=1, run_id="run-b")
    with pytest.raises(IntakeflowError, match="E050"):
        process_in_processes(share, 2, SlowPipeline(_FakeVersion()), store, "tok")


class _FakeVersion:
    version = "fake-model@1"
