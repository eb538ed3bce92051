"""The listener's heartbeat row: what the watchdog's listener_down (E123) and feed_silent (E122)
checks read to tell a dead listener from a quiet feed."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import psycopg
import pytest
from mllp_peer import ListenerThread, message, raw_exchange
from psycopg import sql

from intakeflow.health.checks import run_checks
from intakeflow.health.config import parse_config
from intakeflow.health.watchdog import connect
from intakeflow.mllp.framing import frame
from intakeflow.mllp.heartbeat import Heartbeat, instance_name
from intakeflow.store import Store

pytestmark = pytest.mark.integration


def _rows(store: Store) -> list[dict[str, Any]]:
    with psycopg.connect(store.dsn) as conn:
        cur = conn.execute(sql.SQL(
            "SELECT source, instance, stopped_at IS NOT NULL AS stopped, last_input_at IS NOT NULL AS took, counts, "
            "EXTRACT(EPOCH FROM now() - beat_at) AS age FROM {}.listener_heartbeats ORDER BY source").format(
            sql.Identifier(store.schema)))
        cols = [c.name for c in cur.description or []]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def test_beats_record_counts_and_the_last_input(store: Store) -> None:
    counts: Counter[str] = Counter(connections=1)
    beat = Heartbeat(store.dsn, store.schema, "mllp:ward", "host-a:2575", counts=lambda: counts)
    beat.beat()
    (row,) = _rows(store)
    assert row["took"] is False and row["stopped"] is False and row["counts"] == {"connections": 1}
    counts.update(staged=2, duplicates=1)
    beat.beat()
    (row,) = _rows(store)
    assert row["took"] is True and row["counts"]["staged"] == 2
    beat.beat(stopped=True)
    (row,) = _rows(store)
    assert row["stopped"] is True and row["took"] is True and beat.beats == 3


def test_run_beats_until_stopped_then_marks_the_stop(store: Store) -> None:
    beat = Heartbeat(store.dsn, store.schema, "mllp", "host-a:2575", interval_s=0.5)

    async def main() -> None:
        running = asyncio.create_task(beat.run())
        await asyncio.sleep(1.3)
        beat.stop()
        await running

    asyncio.run(main())
    assert beat.beats >= 3 and beat.failures == 0
    assert [(r["source"], r["stopped"]) for r in _rows(store)] == [("mllp", True)]


def test_a_store_that_cannot_be_reached_never_stops_the_listener(store: Store) -> None:
    beat = Heartbeat("postgresql://postgres@127.0.0.1:1/none?connect_timeout=1", store.schema, "mllp", "h:1",
                     interval_s=0.5)

    async def main() -> None:
        running = asyncio.create_task(beat.run())
        await asyncio.sleep(0.2)
        beat.stop()
        await running

    asyncio.run(main())
    assert beat.failures == 2 and beat.beats == 0


def test_the_watchdog_sees_a_live_listener_and_then_a_dead_one(store: Store) -> None:
    with ListenerThread(store, source="mllp:ward") as running:
        server = running.server
        assert server is not None
        beat = Heartbeat(store.dsn, store.schema, "mllp:ward", instance_name(running.port),
                         counts=lambda: {**server.counts, **server.intake.counts})
        acks, _ = raw_exchange(running.port, frame(message("HB-1").encode()), want_acks=1)
        assert [a.code for a in acks] == ["AA"]
        beat.beat()
    config = parse_config({"listener_down_s": 60})
    with connect(store.dsn) as conn:
        results = {r.key: r for r in run_checks(conn, store.schema, config).results}
    assert not results["listener_down:mllp:ward"].firing and not results["feed_silent:mllp:ward"].firing
    with psycopg.connect(store.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {}.listener_heartbeats SET beat_at = now() - interval '2 minutes'").format(
            sql.Identifier(store.schema)))
    with connect(store.dsn) as conn:
        results = {r.key: r for r in run_checks(conn, store.schema, config).results}
    assert results["listener_down:mllp:ward"].firing and results["listener_down:mllp:ward"].code == "E123"
