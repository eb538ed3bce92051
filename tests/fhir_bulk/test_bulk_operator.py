"""The deferrable Bulk Data operator and its trigger against the local peer, through an
Airflow connection with SMART Backend Services: execute defers (no worker slot while the
export runs), the trigger polls by Retry-After and fires, execute_complete stages; a task
retried after a kill resumes the same export; the non-deferrable mode waits in the task."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from intakeflow.errors import IntakeflowError
from intakeflow.provider.operators.fhir_bulk import FhirBulkExportOperator
from intakeflow.provider.triggers.fhir import FhirBulkExportTrigger
from intakeflow.store import Store
from intakeflow.store.pg_bulk import BulkExportLog
from tests.fhir_peer import CLIENT_ID, KID, PeerConfig, PeerServer, communications, rsa_key_pem


@pytest.fixture
def fhir_conn(peer: PeerServer, monkeypatch: pytest.MonkeyPatch) -> str:
    extra = {"auth_type": "smart_backend", "client_id": CLIENT_ID, "kid": KID, "private_key": rsa_key_pem()}
    monkeypatch.setenv("AIRFLOW_CONN_BULK_FHIR", json.dumps({"conn_type": "fhir", "host": peer.base_url, "extra": extra}))
    return "bulk_fhir"


@pytest.fixture
def operator(fhir_conn: str, pg_conn_id: str, store: Store, fake_model: str) -> FhirBulkExportOperator:
    return FhirBulkExportOperator(task_id="bulk", fhir_conn_id=fhir_conn, postgres_conn_id=pg_conn_id,
                                  store_schema=store.schema, model_path=fake_model, poll_interval=5)


def version_store(store: Store) -> Store:
    return Store(store.dsn, schema=store.schema, pipeline_version="fake-model@1")


async def events(trigger: FhirBulkExportTrigger) -> list[dict[str, Any]]:
    out = []
    run: AsyncIterator[Any] = trigger.run()
    async for event in run:
        out.append(event.payload)
    return out


def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """asyncio.sleep in the trigger records the wait instead of waiting."""
    waited: list[float] = []
    real = asyncio.sleep

    async def fake(seconds: float, *args: Any) -> None:
        if seconds < 1:  # asyncio's own short sleeps (to_thread and the loop's housekeeping)
            await real(seconds, *args)
            return
        waited.append(seconds)
        await real(0)

    monkeypatch.setattr("intakeflow.provider.triggers.fhir.asyncio.sleep", fake)
    return waited


@pytest.mark.parametrize("peer_config", [PeerConfig(polls_before_ready=3, retry_after=7, file_size=400, error_lines=1)])
def test_defers_polls_by_retry_after_and_stages(
    peer: PeerServer, operator: FhirBulkExportOperator, store: Store, make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer.peer.add(communications(1_000))
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(make_context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, FhirBulkExportTrigger) and deferred.value.method_name == "execute_complete"
    assert deferred.value.timeout is not None and deferred.value.timeout.total_seconds() == operator.max_wait
    classpath, kwargs = trigger.serialize()
    assert classpath == "intakeflow.provider.triggers.fhir.FhirBulkExportTrigger"
    rebuilt = FhirBulkExportTrigger(**kwargs)  # what the triggerer does
    waited = sleeps(monkeypatch)
    fired = asyncio.run(events(rebuilt))
    assert fired == [{"status": "complete", "job_id": kwargs["job_id"]}]
    assert waited == [7.0, 7.0], "one poll in execute, then two in the trigger, each after the server's Retry-After"
    counts = operator.execute_complete(make_context(), fired[0])
    assert (counts["staged"], counts["files"], counts["outcome_lines"], counts["deleted"]) == (1_000, 4, 1, True)
    assert version_store(store).counts()["received"] == 1_000
    assert len(peer.peer.kickoffs) == 1 and len(peer.peer.deleted_jobs) == 1


def test_retry_bounds_and_the_default_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    from intakeflow.sources.fhir_bulk import Status

    assert Status(False, retry_after=None).wait_s(10) == 10
    assert Status(False, retry_after=0).wait_s(10) == 1.0
    assert Status(False, retry_after=86_400).wait_s(10) == 300.0


@pytest.mark.parametrize("peer_config", [PeerConfig(polls_before_ready=1, file_size=200)])
def test_a_retry_after_a_kill_resumes_the_same_export(
    peer: PeerServer, operator: FhirBulkExportOperator, store: Store, make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer.peer.add(communications(1_000))
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(make_context())
    event = asyncio.run(events(deferred.value.trigger))[0]

    class Killed(BaseException):
        pass

    from intakeflow import bulk_export

    real = bulk_export.BulkExporter._commit
    calls = {"n": 0}

    def die_on_the_third_batch(self: Any, *args: Any, **kw: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise Killed
        real(self, *args, **kw)

    monkeypatch.setattr(bulk_export.BulkExporter, "_commit", die_on_the_third_batch)
    with pytest.raises(Killed):
        operator.execute_complete(make_context(), event)
    monkeypatch.setattr(bulk_export.BulkExporter, "_commit", real)
    job = BulkExportLog(version_store(store)).get(event["job_id"])
    assert job is not None and job.state == "downloading"
    # Airflow's retry runs execute() again: the open export is resumed, not kicked off anew
    counts = operator.execute(make_context())
    assert counts is not None and counts["staged"] == 600 and counts["duplicates"] == 0
    assert version_store(store).counts()["received"] == 1_000 and len(peer.peer.kickoffs) == 1


@pytest.mark.parametrize("peer_config", [PeerConfig(polls_before_ready=2, retry_after=0)])
def test_not_deferrable_waits_in_the_task(
    peer: PeerServer, operator: FhirBulkExportOperator, store: Store, make_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    peer.peer.add(communications(30))
    monkeypatch.setattr("intakeflow.bulk_export.time.sleep", lambda s: None)
    operator.deferrable = False
    operator.since = "2026-01-05T08:00:09+00:00"
    counts = operator.execute(make_context())
    assert counts is not None and counts["staged"] == 20 and counts["since"] == "2026-01-05T08:00:09.000Z"
    assert peer.peer.kickoffs[0]["_since"] == ["2026-01-05T08:00:09.000Z"]


def test_trigger_reports_errors_with_a_code(peer: PeerServer, fhir_conn: str) -> None:
    fired = asyncio.run(events(FhirBulkExportTrigger(fhir_conn, f"{peer.base_url}/bulk-status/unknown", 9)))
    assert fired == [{"status": "error", "code": "E038", "gone": True, "job_id": 9}]


def test_execute_complete_fails_coded_on_an_error_event(operator: FhirBulkExportOperator, make_context: Any) -> None:
    with pytest.raises(IntakeflowError, match="E081"):
        operator.execute_complete(make_context(), {"status": "error", "code": "E037", "gone": False, "job_id": 1})


def test_template_fields_and_request(operator: FhirBulkExportOperator) -> None:
    assert {"fhir_conn_id", "source_name", "level", "group_id", "since"} <= set(operator.template_fields)
    operator.level, operator.group_id = "group", "g7"
    request = operator.export_request()
    assert request.path == "Group/g7/$export" and request.types == ("Communication",)
    operator.level = "everything"
    with pytest.raises(IntakeflowError, match="E050"):
        operator.export_request()
