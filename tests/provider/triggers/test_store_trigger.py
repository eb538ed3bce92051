"""``StagedMessagesTrigger``, the live DAG's asset watcher: it serializes to plain values
(the hash Airflow deduplicates watcher triggers by stays the same between DAG parses), and
run as the triggerer runs it (its ``run()`` on an event loop, the connection looked up with
the SDK's async call) it fires on a staging NOTIFY, fires through its safety net when the
NOTIFY never comes, and keeps firing after its database connection is dropped."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest
from live_probe import wait_watching

from intakeflow.provider.triggers.store import StagedMessagesTrigger
from intakeflow.results import InboundMessage
from intakeflow.store import Store

CHANNEL = "intakeflow_test_trigger"


def _trigger(conn_id: str, schema: str, **kw: Any) -> StagedMessagesTrigger:
    settings: dict[str, Any] = {"recheck_s": 30.0, "stale_after_s": 30.0, "min_interval_s": 0.0, "max_backoff_s": 0.5}
    return StagedMessagesTrigger(conn_id, schema, ["mllp"], channel=CHANNEL, **{**settings, **kw})


def _msgs(ids: range) -> list[InboundMessage]:
    return [InboundMessage("mllp", f"LIVEFAC|{i}", f"synthetic live note {i}: call me about my bill") for i in ids]


def test_serialize_round_trip() -> None:
    trigger = StagedMessagesTrigger("pg", "intakeflow", ["mllp", "mllp:ward"], channel="x_feed", recheck_s=3)
    path, kwargs = trigger.serialize()
    assert path == "intakeflow.provider.triggers.store.StagedMessagesTrigger"
    assert kwargs == {"postgres_conn_id": "pg", "store_schema": "intakeflow", "sources": ["mllp", "mllp:ward"],
                      "channel": "x_feed", "recheck_s": 3.0, "stale_after_s": 5.0, "min_interval_s": 5.0,
                      "max_backoff_s": 60.0}
    assert StagedMessagesTrigger(**kwargs).serialize() == (path, kwargs)


def test_the_dedup_hash_survives_the_database_round_trip() -> None:
    """Airflow keeps one trigger row per (classpath, kwargs) hash and compares the DAG file's
    trigger with the stored one at every parse; a mismatch deletes and recreates the trigger
    (restarting it) at every parse."""
    from airflow.models.trigger import Trigger
    from airflow.serialization.encoders import encode_trigger
    from airflow.triggers.base import BaseEventTrigger

    encoded = encode_trigger(StagedMessagesTrigger("pg", "intakeflow", ["mllp"]))
    stored = Trigger(classpath=encoded["classpath"], kwargs=encoded["kwargs"])
    assert BaseEventTrigger.hash(encoded["classpath"], encoded["kwargs"]) == BaseEventTrigger.hash(
        stored.classpath, stored.kwargs)


@pytest.mark.parametrize(("schema", "channel"), [('x"; DROP TABLE y; --', "ok"), ("intakeflow", "bad channel")])
def test_bad_names_are_refused_when_the_dag_is_parsed(schema: str, channel: str) -> None:
    with pytest.raises(Exception, match="E050"):
        StagedMessagesTrigger("pg", schema, ["mllp"], channel=channel)


async def _events(trigger: StagedMessagesTrigger, out: list[tuple[float, dict[str, Any]]]) -> None:
    async for event in trigger.run():
        out.append((time.monotonic(), dict(event.payload)))


async def _until(out: list[Any], n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(out) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(out)} event(s), wanted {n}")
        await asyncio.sleep(0.01)


def _run(scenario: Any) -> Any:
    return asyncio.run(asyncio.wait_for(scenario(), 60))


pytestmark = pytest.mark.integration


def test_a_notify_fires_an_event(pg_dsn: str, pg_conn_id: str, store: Store) -> None:
    live = Store(pg_dsn, store.schema, store.pipeline_version, notify_channel=CHANNEL)
    trigger = _trigger(pg_conn_id, store.schema)
    events: list[tuple[float, dict[str, Any]]] = []

    async def scenario() -> float:
        task = asyncio.create_task(_events(trigger, events))
        await asyncio.to_thread(wait_watching, pg_dsn, store.schema)
        assert events == []
        t0 = time.monotonic()
        await asyncio.to_thread(live.stage, _msgs(range(3)), "r1")
        await _until(events, 1, 10)
        task.cancel()
        return t0

    t0 = _run(scenario)
    at, payload = events[0]
    assert at - t0 < 2.0  # the re-check is 30 s away: this was the NOTIFY
    assert payload == {"reason": "notified", "schema": store.schema, "sources": ["mllp"], "queued": None,
                       "oldest_s": None, "notifications": 1}


def test_a_missed_notify_is_caught_by_the_recheck(pg_dsn: str, pg_conn_id: str, store: Store) -> None:
    trigger = _trigger(pg_conn_id, store.schema, recheck_s=0.2, stale_after_s=0.5)
    events: list[tuple[float, dict[str, Any]]] = []

    async def scenario() -> float:
        task = asyncio.create_task(_events(trigger, events))
        await asyncio.to_thread(wait_watching, pg_dsn, store.schema)
        t0 = time.monotonic()
        await asyncio.to_thread(store.stage, _msgs(range(2)), "r1")  # this store sends no NOTIFY
        await _until(events, 1, 10)
        task.cancel()
        return t0

    t0 = _run(scenario)
    at, payload = events[0]
    assert payload["reason"] == "overdue" and payload["queued"] == 2
    assert 0.5 <= at - t0 < 5


def test_a_dropped_connection_is_reopened(pg_dsn: str, pg_conn_id: str, store: Store) -> None:
    live = Store(pg_dsn, store.schema, store.pipeline_version, notify_channel=CHANNEL)
    trigger = _trigger(pg_conn_id, store.schema)
    events: list[tuple[float, dict[str, Any]]] = []

    def drop() -> int:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            return len(conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'intakeflow-watch'"
                " AND query LIKE %s", (f'%"{store.schema}"%',)).fetchall())

    async def scenario() -> None:
        task = asyncio.create_task(_events(trigger, events))
        await asyncio.to_thread(wait_watching, pg_dsn, store.schema)
        assert await asyncio.to_thread(drop) == 1
        # a NOTIFY sent while it reconnects reaches nobody: its look at the queue after
        # listening again fires instead
        await asyncio.to_thread(live.stage, _msgs(range(2)), "during")
        await _until(events, 1, 10)
        await asyncio.to_thread(wait_watching, pg_dsn, store.schema)
        await asyncio.to_thread(live.stage, _msgs(range(5, 6)), "after")
        await _until(events, 2, 10)
        task.cancel()

    _run(scenario)
    assert events[0][1]["reason"] in ("startup", "notified")
    assert events[1][1]["reason"] == "notified"
