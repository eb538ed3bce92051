from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from intakeflow.provider.triggers.fhir import FhirCommunicationTrigger
from tools.demo_data import DemoText, communication


async def _first_event(trigger: FhirCommunicationTrigger, timeout: float) -> dict[str, object]:
    async def first() -> dict[str, object]:
        async for event in trigger.run():
            return dict(event.payload)
        raise AssertionError("trigger ended without an event")

    return await asyncio.wait_for(first(), timeout)


def test_serialize_round_trip() -> None:
    trigger = FhirCommunicationTrigger("c", "2024-01-01T00:00:00+00:00", 3.0)
    path, kwargs = trigger.serialize()
    assert FhirCommunicationTrigger(**kwargs).serialize() == (path, kwargs)


def test_waits_then_fires_on_a_new_communication(fhir_server: str, fhir_conn_id: str) -> None:
    since = (datetime.now(UTC) + timedelta(seconds=1)).replace(microsecond=0) + timedelta(seconds=1)
    trigger = FhirCommunicationTrigger(fhir_conn_id, since.isoformat(), poll_interval=0.1)
    assert trigger.has_new() is False

    async def scenario() -> dict[str, object]:
        task = asyncio.create_task(_first_event(trigger, 15))
        while datetime.now(UTC) < since + timedelta(milliseconds=200):
            await asyncio.sleep(0.1)
        assert not task.done()
        resource = communication(DemoText("n1", "new question"), patient_id="p9", when=datetime.now(UTC))
        await asyncio.to_thread(
            lambda: httpx.post(f"{fhir_server}/Communication", json=resource, timeout=10).raise_for_status()
        )
        return await task

    assert asyncio.run(scenario()) == {"status": "found"}


def test_error_event_carries_only_a_code(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = {"conn_type": "fhir", "host": "f.example", "extra": {"auth_type": "oauth"}}
    monkeypatch.setenv("AIRFLOW_CONN_BAD_FHIR", json.dumps(bad))
    event = asyncio.run(_first_event(FhirCommunicationTrigger("bad_fhir", "2024-01-01T00:00:00+00:00"), 5))
    assert event == {"status": "error", "code": "E050"}
