from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from intakeflow.errors import SourceError
from intakeflow.provider.sensors.fhir import FhirCommunicationSensor


def test_defers_without_new_communications(fhir_conn_id: str, make_context: Any) -> None:
    future = datetime.now(UTC) + timedelta(days=1)
    sensor = FhirCommunicationSensor(task_id="f", fhir_conn_id=fhir_conn_id, poke_interval=10, timeout=60)
    ctx = make_context(future, future + timedelta(hours=1))
    assert sensor.poke(ctx) is False
    with pytest.raises(TaskDeferred):
        sensor.execute(ctx)


def test_execute_complete_raises_on_error_event(make_context: Any) -> None:
    sensor = FhirCommunicationSensor(task_id="f")
    sensor.execute_complete(make_context(), {"status": "found"})
    with pytest.raises(SourceError, match="E081"):
        sensor.execute_complete(make_context(), {"status": "error", "code": "E034"})


def test_poke_and_execute_with_a_new_communication(fhir_server: str, fhir_conn_id: str, make_context: Any) -> None:
    import httpx

    from tools.demo_data import DemoText, communication

    start = datetime.now(UTC) - timedelta(seconds=2)
    resource = communication(DemoText("s1", "hello"), patient_id="p2", when=datetime.now(UTC))
    httpx.post(f"{fhir_server}/Communication", json=resource, timeout=10).raise_for_status()
    sensor = FhirCommunicationSensor(task_id="f", fhir_conn_id=fhir_conn_id)
    ctx = make_context(start, start + timedelta(hours=1))
    assert sensor.poke(ctx) is True
    assert sensor.execute(ctx) is None  # returned at once, no deferral
