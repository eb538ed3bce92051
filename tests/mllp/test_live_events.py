"""The live feed, event-driven, end to end: python-hl7 sends over MLLP, the listener commits
each message and NOTIFYs in the same transaction, the live DAG's own asset-watcher trigger
(from the DAG file, run as the triggerer runs it: ``run()`` on an event loop) fires, and the
run it stands for (real Airflow ``dag.test()``, fake pipeline) stores the results, lingering
to take what arrives meanwhile. A message staged without a NOTIFY is caught by the
trigger's safety net. Deterministic: every step waits for the previous one's effect."""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset
from airflow.triggers.base import BaseEventTrigger, TriggerEvent
from live_probe import wait_watching
from mllp_peer import ListenerThread, Peer, message

from intakeflow.results import InboundMessage
from intakeflow.store import Store

DAGS = Path(__file__).parents[2] / "dags"
CHANNEL = "intakeflow_test_live_dag"

pytestmark = pytest.mark.integration


class TriggerThread:
    """A trigger's ``run()`` on an event loop of its own thread (as in the triggerer), its
    events in a queue."""

    def __init__(self, trigger: BaseEventTrigger) -> None:
        self.trigger = trigger
        self.events: queue.Queue[tuple[float, TriggerEvent]] = queue.Queue()
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="triggerer", daemon=True)

    async def _run(self) -> None:
        try:
            async for event in self.trigger.run():
                self.events.put((time.monotonic(), event))
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc

    async def _start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def next(self, timeout: float) -> tuple[float, dict[str, Any]]:
        try:
            at, event = self.events.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no trigger event within {timeout} s (error: {self.error!r})") from None
        return at, dict(event.payload)

    def __enter__(self) -> TriggerThread:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._task is not None
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def _status(pg_dsn: str, schema: str) -> dict[str, int]:
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(f'SELECT status, count(*) FROM "{schema}".messages GROUP BY 1').fetchall()
    return {r[0]: int(r[1]) for r in rows}


def test_a_staged_message_fires_the_watcher_and_its_run_stores_the_results(
    airflow_db: None, pg_dsn: str, store_schema: str, pg_conn_id: str, fake_model: str, fake_pipeline: Any,
) -> None:
    store = Store(pg_dsn, store_schema, fake_pipeline.version, notify_channel=CHANNEL)
    store.migrate()
    dag = DagBag(str(DAGS)).dags["hl7_live_intake"]
    watched = dag.timetable.asset_condition
    assert isinstance(watched, Asset)
    watcher = watched.watchers[0].trigger
    # as the triggerer builds it (from the serialized kwargs), pointed at this test's store
    # (the DAG file takes it from INTAKEFLOW_LIVE_*: tests/dags), with a quicker safety net
    _path, kwargs = watcher.serialize()
    trigger = type(watcher)(**{**kwargs, "postgres_conn_id": pg_conn_id, "store_schema": store_schema,
                               "channel": CHANNEL, "recheck_s": 0.5, "stale_after_s": 1.0, "min_interval_s": 0.0})
    conf = {"postgres_conn_id": pg_conn_id, "store_schema": store_schema, "model_path": fake_model, "batch_size": 4,
            "notify_channel": CHANNEL}
    when = datetime(2024, 3, 1, 12, 5, tzinfo=UTC)

    with TriggerThread(trigger) as watching, ListenerThread(store) as running, Peer(running.port) as peer:
        wait_watching(pg_dsn, store_schema)
        assert watching.events.empty()  # nothing waits: no event at start

        acked = time.monotonic()
        codes = [peer.send(message(f"LIVE-{i}", f"question about my bill {i}")).code for i in range(5)]
        assert codes == ["AA"] * 5
        at, payload = watching.next(timeout=10)
        assert payload["reason"] == "notified" and at - acked < 5  # the safety net would say "overdue"
        # the event becomes the asset event's extra: counts and names only
        assert set(payload) == {"reason", "schema", "sources", "queued", "oldest_s", "notifications"}
        assert "bill" not in json.dumps(payload) and "LIVE-" not in json.dumps(payload)

        # the run the event starts; it lingers, so two messages sent once the first five are
        # stored are taken by the same run (woken by their NOTIFY)
        def more() -> None:
            deadline = time.monotonic() + 60
            while _status(pg_dsn, store_schema).get("processed", 0) < 5 and time.monotonic() < deadline:
                time.sleep(0.01)
            with Peer(running.port) as late:
                late_codes.extend(late.send(message(f"LATE-{i}", f"late note about my bill {i}")).code for i in range(2))

        late_codes: list[str] = []
        feeder = threading.Thread(target=more)
        feeder.start()
        run = dag.test(logical_date=when, run_conf={**conf, "linger_s": 4})
        feeder.join()
        assert late_codes == ["AA", "AA"]
        assert str(run.state) == "success"
        assert _status(pg_dsn, store_schema) == {"processed": 7}
        stats = store.run_stats(run.run_id, "hl7_live_intake")
        assert stats is not None and stats["counts"]["process"]["processed"] == 7  # one run took all seven

        assert store.queue_ages() == {}

        # a message staged without a NOTIFY (a listener without --notify-channel): the
        # trigger's look at the queue finds it once it is a second old
        quiet = Store(pg_dsn, store_schema, fake_pipeline.version)
        staged = time.monotonic()
        quiet.stage([InboundMessage("mllp", "TESTLAB|QUIET-1", "quiet note about my bill")], "no-notify")
        at, payload = watching.next(timeout=15)
        while at < staged:  # fired during the run, for messages it has taken since (late NOTIFYs, or the
            assert payload["reason"] in ("notified", "overdue")  # net while the run was starting)
            at, payload = watching.next(timeout=15)
        assert (payload["reason"], payload["queued"]) == ("overdue", 1)
        assert 1.0 <= at - staged < 15
        again = dag.test(logical_date=when + timedelta(minutes=5), run_conf={**conf, "linger_s": 0})
        assert str(again.state) == "success"
        assert _status(pg_dsn, store_schema) == {"processed": 8}
        assert store.queue_ages() == {}
        assert watching.error is None
