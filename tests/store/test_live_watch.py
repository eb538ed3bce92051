"""The live feed's wake-up path (``intakeflow.store.live``) against the real PostgreSQL: the
staging transaction's NOTIFY (sent on commit only, no content), the queue ages a watchdog
reads, the watcher's three ways to wake (startup, notification, safety net) and its
reconnection, the blocking waiter, and a processing run that lingers for new messages."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
import pytest
from live_probe import wait_watching
from psycopg import sql

from intakeflow.results import InboundMessage, Quarantined
from intakeflow.store.live import (
    DEFAULT_CHANNEL,
    QueueWaiter,
    Wake,
    WatchSettings,
    payload_matches,
    staged_payload,
    watch_queue,
)
from intakeflow.store.pg_store import Store
from intakeflow.store.processing import process_pending

pytestmark = pytest.mark.integration

#: a channel of this module's own, so that other tests' staging cannot wake these watchers
CHANNEL = "intakeflow_test_live"
#: timings that keep the safety net out of the way unless a test wants it
QUIET = WatchSettings(recheck_s=30, stale_after_s=30, min_interval_s=0, overdue_every_s=30, backoff_s=0.05,
                      max_backoff_s=0.2, timeout_s=5)


def _msgs(ids: range, source: str = "mllp", text: str = "please call me back about my bill") -> list[InboundMessage]:
    return [InboundMessage(source, f"LIVEFAC|{i}", f"{text} {i}") for i in ids]


def _notifying(store: Store, channel: str = CHANNEL) -> Store:
    return Store(store.dsn, store.schema, store.pipeline_version, batch_size=store.batch_size, notify_channel=channel)


class Watch:
    """``watch_queue`` on an event loop of its own thread, its wakes in a list."""

    def __init__(self, gen: Callable[[], AsyncIterator[Wake]]) -> None:
        self.wakes: list[tuple[float, Wake]] = []
        self._gen = gen
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    async def _consume(self) -> None:
        async for wake in self._gen():
            with self._cond:
                self.wakes.append((time.monotonic(), wake))
                self._cond.notify_all()

    def __enter__(self) -> Watch:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        fut.result(5)
        return self

    async def _start(self) -> None:
        self._task = asyncio.create_task(self._consume())

    def wait_for(self, n: int, timeout: float = 10.0) -> list[Wake]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.wakes) >= n, timeout):
                raise TimeoutError(f"{len(self.wakes)} wake(s), wanted {n}: {self.wakes}")
            return [w for _, w in self.wakes]

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._task is not None
            self._task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await self._task

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def _notifications(dsn: str, channel: str, action: Callable[[], Any]) -> list[str]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
        action()
        return [n.payload for n in conn.notifies(timeout=0.5)]


# -- staging notifies, on commit only ------------------------------------------------------------


def test_staging_notifies_on_commit_with_counts_only(store: Store) -> None:
    live = _notifying(store)
    payloads = _notifications(store.dsn, CHANNEL, lambda: live.stage(_msgs(range(3)), "r1"))
    assert [json.loads(p) for p in payloads] == [{"schema": store.schema, "sources": ["mllp"], "staged": 3}]
    assert all("bill" not in p and "LIVEFAC" not in p for p in payloads)  # no content, no ids
    # store.batch_size is 3: one notification per committed batch
    assert len(_notifications(store.dsn, CHANNEL, lambda: live.stage(_msgs(range(10, 17)), "r2"))) == 3


def test_no_notification_without_new_rows_or_channel(store: Store) -> None:
    live = _notifying(store)
    live.stage(_msgs(range(2)), "r1")
    assert _notifications(store.dsn, CHANNEL, lambda: live.stage(_msgs(range(2)), "again")) == []  # duplicates
    quarantined = Quarantined("mllp", "LIVEFAC|Q", "E020", "E020: unparseable")
    assert _notifications(store.dsn, CHANNEL, lambda: live.stage([quarantined], "q")) == []
    assert _notifications(store.dsn, CHANNEL, lambda: store.stage(_msgs(range(5, 6)), "plain")) == []


def test_no_notification_when_the_transaction_rolls_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    live = _notifying(store)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("quarantine write failed")

    monkeypatch.setattr(live, "_upsert_quarantine", fail)  # after the rows and NOTIFY, same transaction
    batch: list[Any] = [*_msgs(range(2)), Quarantined("mllp", "LIVEFAC|Q", "E020", "E020: unparseable")]

    def stage() -> None:
        with pytest.raises(RuntimeError):
            live.stage(batch, "r1")

    assert _notifications(store.dsn, CHANNEL, stage) == []
    assert store.queue_ages() == {}


def test_channel_names_are_checked(store: Store) -> None:
    with pytest.raises(Exception, match="E050"):
        Store(store.dsn, store.schema, notify_channel="bad-name; DROP")


def test_payload_filter() -> None:
    p = staged_payload("intakeflow", ["mllp:lab", "mllp"], 4)
    assert json.loads(p) == {"schema": "intakeflow", "sources": ["mllp", "mllp:lab"], "staged": 4}
    assert payload_matches(p, "intakeflow", {"mllp"})
    assert not payload_matches(p, "other", {"mllp"})
    assert not payload_matches(p, "intakeflow", {"mllp:ward"})
    assert payload_matches("not json", "intakeflow", {"mllp"})  # a stranger's notification: look anyway


# -- queue ages (for a watchdog) ----------------------------------------------------------------


def test_queue_ages_per_source(store: Store) -> None:
    assert store.queue_ages() == {}
    store.stage(_msgs(range(3)), "r1")
    store.stage(_msgs(range(2), source="mllp:ward"), "r1")
    with psycopg.connect(store.dsn) as conn:  # the first rows staged a minute ago
        conn.execute(sql.SQL("UPDATE {}.messages SET created_at = now() - interval '60 s' WHERE source = 'mllp'")
                     .format(sql.Identifier(store.schema)))
    claimed = store.claim(1, "run-a", ["mllp"])
    ages = store.queue_ages()
    assert set(ages) == {"mllp", "mllp:ward"}
    mllp = ages["mllp"]
    assert (mllp.queued, mllp.in_hand) == (3, 1) and len(claimed) == 1
    assert mllp.oldest_s is not None and 59 < mllp.oldest_s < 120
    assert mllp.oldest_unclaimed_s is not None and 59 < mllp.oldest_unclaimed_s < 120
    ward = ages["mllp:ward"]
    assert (ward.queued, ward.in_hand) == (2, 0) and ward.oldest_s is not None and ward.oldest_s < 30
    assert set(store.queue_ages(["mllp:ward"])) == {"mllp:ward"}
    assert set(mllp.as_dict()) == {"source", "queued", "in_hand", "oldest_s", "oldest_unclaimed_s"}


def test_queue_ages_count_every_pipeline_version(store: Store) -> None:
    Store(store.dsn, store.schema, "some-other-model@9").stage(_msgs(range(2)), "r1")
    assert store.queue_ages()["mllp"].queued == 2  # rows no worker of this version takes still age


# -- the watcher ----------------------------------------------------------------------------------


def test_a_notification_wakes_the_watcher_at_once(store: Store) -> None:
    live = _notifying(store)
    with Watch(lambda: watch_queue(store.dsn, store.schema, ["mllp"], CHANNEL, QUIET)) as watch:
        wait_watching(store.dsn, store.schema)
        assert watch.wakes == []  # nothing waits: no startup wake
        other = Store(store.dsn, store.schema, store.pipeline_version, notify_channel=CHANNEL)
        other.stage(_msgs(range(50, 52), source="hl7v2"), "archive")  # not a watched source
        t0 = time.monotonic()
        live.stage(_msgs(range(2)), "r1")
        wakes = watch.wait_for(1, timeout=5)
        assert watch.wakes[0][0] - t0 < 2.0  # QUIET re-checks every 30 s: this was the notification
        assert wakes[0].reason == "notified" and wakes[0].notifications == 1
        time.sleep(0.3)
        assert len(watch.wakes) == 1


def test_rows_staged_before_it_listens_wake_it_at_start(store: Store) -> None:
    store.stage(_msgs(range(4)), "r1")  # no notification at all
    with Watch(lambda: watch_queue(store.dsn, store.schema, ["mllp"], CHANNEL, QUIET)) as watch:
        wake = watch.wait_for(1, timeout=10)[0]
    assert (wake.reason, wake.queued) == ("startup", 4)
    assert wake.as_payload(store.schema, ["mllp"]) == {
        "reason": "startup", "schema": store.schema, "sources": ["mllp"], "queued": 4,
        "oldest_s": round(wake.oldest_s or 0.0, 3), "notifications": 0}


def test_a_missed_notification_is_caught_by_the_recheck(store: Store) -> None:
    settings = WatchSettings(recheck_s=0.2, stale_after_s=0.5, min_interval_s=0, overdue_every_s=30, timeout_s=5)
    with Watch(lambda: watch_queue(store.dsn, store.schema, ["mllp"], CHANNEL, settings)) as watch:
        wait_watching(store.dsn, store.schema)
        t0 = time.monotonic()
        store.stage(_msgs(range(3)), "r1")  # a store without notify_channel: the NOTIFY is "lost"
        wake = watch.wait_for(1, timeout=10)[0]
        waited = watch.wakes[0][0] - t0
        assert wake.reason == "overdue" and wake.queued == 3
        assert 0.5 <= waited < 5
        # still waiting: the net fires again, but only every overdue_every_s (30 s), not every re-check
        time.sleep(1.0)
        assert len(watch.wakes) == 1


def test_claimed_rows_do_not_trip_the_safety_net(store: Store) -> None:
    store.stage(_msgs(range(2)), "r1")
    store.claim(10, "a-run", ["mllp"])  # a run is processing them
    settings = WatchSettings(recheck_s=0.1, stale_after_s=0.2, min_interval_s=0, timeout_s=5)
    with Watch(lambda: watch_queue(store.dsn, store.schema, ["mllp"], CHANNEL, settings)) as watch:
        wait_watching(store.dsn, store.schema)
        time.sleep(0.8)
        assert watch.wakes == []


def test_wakes_closer_than_min_interval_are_merged(store: Store) -> None:
    live = _notifying(store)
    settings = WatchSettings(recheck_s=30, stale_after_s=30, min_interval_s=1.0, timeout_s=5)
    with Watch(lambda: watch_queue(store.dsn, store.schema, ["mllp"], CHANNEL, settings)) as watch:
        wait_watching(store.dsn, store.schema)
        live.stage(_msgs(range(1)), "r1")
        first = watch.wait_for(1, timeout=5)[0]
        t1 = watch.wakes[0][0]
        for i in range(5):  # five commits inside the interval: one more wake, after it
            live.stage(_msgs(range(10 + i, 11 + i)), "r2")
        wakes = watch.wait_for(2, timeout=5)
        assert watch.wakes[1][0] - t1 >= 0.95
        time.sleep(0.3)
    assert first.notifications == 1
    assert len(watch.wakes) == 2 and wakes[1].reason == "notified" and wakes[1].notifications == 5


def _terminate_watchers(dsn: str, schema: str) -> int:
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'intakeflow-watch'"
            " AND query LIKE %s", (f'%"{schema}"%',)).fetchall()
    return len(rows)


def test_a_dropped_connection_is_reopened_and_nothing_is_lost(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    live = _notifying(store)
    caplog.set_level(logging.INFO, logger="intakeflow.live")
    with Watch(lambda: watch_queue(store.dsn, store.schema, ["mllp"], CHANNEL, QUIET)) as watch:
        wait_watching(store.dsn, store.schema)
        assert _terminate_watchers(store.dsn, store.schema) == 1  # as a database restart would
        live.stage(_msgs(range(2)), "while-down")  # its NOTIFY may reach nobody
        wake = watch.wait_for(1, timeout=10)[0]
        # either the notification (if it already listened again) or the startup look after reconnecting
        assert wake.reason in ("startup", "notified")
        wait_watching(store.dsn, store.schema)
        live.stage(_msgs(range(10, 11)), "after")
        assert watch.wait_for(2, timeout=10)[1].reason == "notified"
    messages = [r.getMessage() for r in caplog.records]
    assert any("attempt 1 failed" in m for m in messages), messages
    assert any("connected again" in m for m in messages), messages


def test_an_unreachable_database_is_retried_with_backoff(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="intakeflow.live")
    store.stage(_msgs(range(1)), "r1")
    calls: list[float] = []

    async def dsn() -> str:  # the first three lookups give a server that is down
        calls.append(time.monotonic())
        return "postgresql://postgres@127.0.0.1:1/test" if len(calls) <= 3 else store.dsn

    settings = WatchSettings(recheck_s=30, stale_after_s=30, backoff_s=0.1, max_backoff_s=0.3, timeout_s=2)
    with Watch(lambda: watch_queue(dsn, store.schema, ["mllp"], CHANNEL, settings)) as watch:
        assert watch.wait_for(1, timeout=15)[0].reason == "startup"
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert len(calls) == 4 and gaps[0] >= 0.1 and gaps[1] >= 0.2 and gaps[2] >= 0.3  # 0.1, 0.2, then capped
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) >= 3 and all("OperationalError" in r.getMessage() for r in warnings[:3])


def test_a_store_not_migrated_yet_is_empty_not_an_error(pg_dsn: str, store_schema: str) -> None:
    settings = WatchSettings(recheck_s=0.1, stale_after_s=0.2, min_interval_s=0, timeout_s=5)
    with Watch(lambda: watch_queue(pg_dsn, store_schema, ["mllp"], CHANNEL, settings)) as watch:
        wait_watching(pg_dsn, store_schema)
        time.sleep(0.3)
        assert watch.wakes == []
        store = Store(pg_dsn, store_schema, "v1", notify_channel=CHANNEL)
        store.migrate()
        store.stage(_msgs(range(1)), "r1")
        assert watch.wait_for(1, timeout=5)[0].reason == "notified"


# -- the blocking waiter and a lingering run ------------------------------------------------------


def test_queue_waiter(store: Store) -> None:
    live = _notifying(store)
    with QueueWaiter(store.dsn, store.schema, ["mllp"], CHANNEL) as waiter:
        assert waiter.wait(0.2) is False
        other = Store(store.dsn, "other_schema_x", store.pipeline_version)
        with psycopg.connect(store.dsn, autocommit=True) as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, staged_payload(other.schema, ["mllp"], 1)))
        assert waiter.wait(0.3) is False  # another store's commit
        timer = threading.Timer(0.2, lambda: live.stage(_msgs(range(1)), "r1"))
        timer.start()
        t0 = time.monotonic()
        assert waiter.wait(5) is True
        assert time.monotonic() - t0 < 2
        timer.join()


def test_a_lingering_run_takes_messages_staged_while_it_waits(store: Store, fake_pipeline: Any) -> None:
    live = _notifying(store)
    live.stage(_msgs(range(2)), "r1")

    def later() -> None:
        for i in range(3):
            time.sleep(0.3)
            live.stage(_msgs(range(10 + i, 11 + i)), "later")

    feeder = threading.Thread(target=later)
    feeder.start()
    t0 = time.monotonic()
    with QueueWaiter(store.dsn, store.schema, ["mllp"], CHANNEL) as waiter:
        tally = process_pending(live, fake_pipeline, "live-run", batch_size=10, sources=["mllp"], linger_s=1.0,
                                wait=waiter.wait)
    took = time.monotonic() - t0
    feeder.join()
    assert tally.outcomes["processed"] == 5
    assert 1.9 < took < 6  # the last message at ~0.9 s, then 1 s of nothing
    assert store.queue_ages() == {}


def test_a_commit_is_claimed_at_once_while_a_batch_is_in_the_pipeline(store: Store, fake_pipeline: Any) -> None:
    """With a worker idle, a staging commit is not held back until the batch in the
    pipeline finishes: it is claimed when its NOTIFY arrives, and saved after that batch."""
    live = _notifying(store)
    slow_started = threading.Event()

    class SlowFirstBatch:
        version = fake_pipeline.version

        def process(self, messages: Any) -> Any:
            if any(m.text.endswith(" 0") for m in messages):  # the first batch takes 3 s
                slow_started.set()
                time.sleep(3.0)
            return fake_pipeline.process(messages)

    live.stage(_msgs(range(1)), "r1")
    staged_at: list[float] = []

    def later() -> None:
        slow_started.wait(10)
        time.sleep(0.2)
        live.stage(_msgs(range(1, 2)), "later")
        staged_at.append(time.time())

    feeder = threading.Thread(target=later)
    feeder.start()
    with QueueWaiter(store.dsn, store.schema, ["mllp"], CHANNEL) as waiter:
        tally = process_pending(live, SlowFirstBatch(), "busy-run", batch_size=16, sources=["mllp"], workers=2,
                                linger_s=0.5, wait=waiter.wait)
    feeder.join()
    assert tally.outcomes["processed"] == 2 and tally.batches == 2
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT source_id, EXTRACT(EPOCH FROM claimed_at)::float8, "
                                    "EXTRACT(EPOCH FROM processed_at)::float8 FROM {}.messages ORDER BY id").format(
            sql.Identifier(store.schema))).fetchall()
    (_, _, first_saved), (_, second_claimed, second_saved) = rows
    assert second_claimed - staged_at[0] < 1.5  # not after the first batch's 3 s (a loaded machine may lag)
    assert second_claimed < first_saved <= second_saved  # saved in claim order


def test_a_run_that_finds_nothing_does_not_linger(store: Store, fake_pipeline: Any) -> None:
    t0 = time.monotonic()
    tally = process_pending(store, fake_pipeline, "idle-run", linger_s=30.0)
    assert tally.outcomes["claimed"] == 0 and time.monotonic() - t0 < 5


def test_max_run_s_hands_over_under_a_steady_feed(store: Store, fake_pipeline: Any) -> None:
    stop = threading.Event()

    def steady() -> None:
        i = 0
        while not stop.is_set():
            store.stage(_msgs(range(i, i + 1)), "steady")
            i += 1
            time.sleep(0.05)

    feeder = threading.Thread(target=steady)
    store.stage(_msgs(range(1000, 1001)), "first")
    feeder.start()
    try:
        t0 = time.monotonic()
        tally = process_pending(store, fake_pipeline, "busy-run", sources=["mllp"], linger_s=30.0, max_run_s=2.5)
        took = time.monotonic() - t0
    finally:
        stop.set()
        feeder.join()
    assert tally.outcomes["processed"] >= 10  # polled every LINGER_POLL_S (no waiter): ~20 staged a second
    assert 2.5 <= took < 5  # never far past max_run_s


def test_default_channel_name() -> None:
    assert DEFAULT_CHANNEL == "intakeflow_staged"
