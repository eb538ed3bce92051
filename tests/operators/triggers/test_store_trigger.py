from __future__ import annotations

import asyncio

import pytest

from intakeflow.operators.triggers.store import StagedMessagesTrigger
from intakeflow.results import InboundMessage
from intakeflow.sinks.pg_store import Store

pytestmark = pytest.mark.integration


def _stage(store: Store, ids: range, source: str = "mllp") -> None:
    store.stage([InboundMessage(source, f"FAC|{i}", f"synthetic live note {i}") for i in ids], "mllp")


def test_serialize_round_trip() -> None:
    trigger = StagedMessagesTrigger("pg", "intakeflow", ["mllp"], 3.0)
    path, kwargs = trigger.serialize()
    assert path == "intakeflow.operators.triggers.store.StagedMessagesTrigger"
    assert StagedMessagesTrigger(**kwargs).serialize() == (path, kwargs)


def test_bad_schema_name_is_refused_when_the_dag_is_parsed() -> None:
    with pytest.raises(Exception, match="E050"):
        StagedMessagesTrigger("pg", 'x"; DROP TABLE y; --', ["mllp"])


def test_fires_once_per_new_arrival_not_per_poll(pg_dsn: str, pg_conn_id: str, store_schema: str) -> None:
    store = Store(pg_dsn, schema=store_schema, pipeline_version="live-1")
    trigger = StagedMessagesTrigger(pg_conn_id, store_schema, ["mllp"], poll_interval=0.05)

    async def scenario() -> list[dict[str, object]]:
        events: list[dict[str, object]] = []

        async def collect() -> None:
            async for event in trigger.run():
                events.append(dict(event.payload))

        task = asyncio.create_task(collect())
        await asyncio.sleep(0.3)  # no schema yet: the trigger waits instead of failing
        store.migrate()
        _stage(store, range(3, 4), source="hl7v2")  # another source: not watched
        await asyncio.sleep(0.3)
        _stage(store, range(2))
        await asyncio.sleep(0.5)  # several polls over the same backlog: one event
        _stage(store, range(2, 3))
        await asyncio.sleep(0.5)
        task.cancel()
        return events

    events = asyncio.run(scenario())
    assert [(e["waiting"], e["sources"]) for e in events] == [(2, ["mllp"]), (3, ["mllp"])]
    assert isinstance(events[0]["newest_id"], int) and events[1]["newest_id"] > events[0]["newest_id"]  # type: ignore[operator]
