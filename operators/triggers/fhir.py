"""Deferrable waits on a FHIR server: for new Communications, for a Bulk Data export."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from intakeflow.errors import IntakeflowError
from intakeflow.sources.fhir_bulk import Status, poll


class FhirCommunicationTrigger(BaseTrigger):
    """Fire once the server has a Communication last updated at or after ``since``.

    Polls every ``poll_interval`` seconds with a one-entry search (run in a thread, off
    the triggerer's event loop). Fires ``{"status": "found"}``; a server error fires an
    ``error`` event (``{"status": "error", "code": ...}``, catalogue code only) instead of
    polling forever. Used by ``FhirCommunicationSensor`` in deferrable mode.

    :param fhir_conn_id: FHIR connection to poll.
    :param since: Earliest ``_lastUpdated`` that counts, as an ISO 8601 string (naive
        times are UTC).
    :param poll_interval: Seconds between checks. Default 60.
    """

    def __init__(self, fhir_conn_id: str, since: str, poll_interval: float = 60.0) -> None:
        super().__init__()
        self.fhir_conn_id = fhir_conn_id
        self.since = since
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"fhir_conn_id": self.fhir_conn_id, "since": self.since, "poll_interval": self.poll_interval},
        )

    def has_new(self) -> bool:
        from intakeflow.provider.hooks.fhir import FhirHook

        since = datetime.fromisoformat(self.since)
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        params = [("_lastUpdated", f"ge{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"), ("_count", "1")]
        with FhirHook(self.fhir_conn_id).get_conn() as client:
            bundle = client.get_json("Communication", params)
        return bool(bundle.get("entry")) or int(bundle.get("total") or 0) > 0

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                # the hook and client are synchronous; run them off the event loop
                found = await asyncio.to_thread(self.has_new)
            except IntakeflowError as exc:
                yield TriggerEvent({"status": "error", "code": exc.code_id})
                return
            if found:
                yield TriggerEvent({"status": "found"})
                return
            await asyncio.sleep(self.poll_interval)


class FhirBulkExportTrigger(BaseTrigger):
    """Poll a Bulk Data export's status URL until the manifest is ready, off the workers.

    Each poll runs in a thread (the client is synchronous) and the next one waits as long as
    the server's ``Retry-After`` says (bounded to 1..300 s; ``poll_interval`` when it says
    nothing). Fires ``{"status": "complete", "job_id": ...}``; an error fires
    ``{"status": "error", "code": ..., "gone": bool, "job_id": ...}`` (``gone``: the server no
    longer knows the job). Used by ``FhirBulkExportOperator``, which then reads the manifest.

    :param fhir_conn_id: FHIR connection of the server (its tokens are cached per process).
    :param status_url: The export's status URL (``Content-Location`` of the kick-off).
    :param job_id: The export's row in the store's ``bulk_exports``.
    :param poll_interval: Seconds between polls when the server sends no Retry-After.
    """

    def __init__(self, fhir_conn_id: str, status_url: str, job_id: int, poll_interval: float = 10.0) -> None:
        super().__init__()
        self.fhir_conn_id = fhir_conn_id
        self.status_url = status_url
        self.job_id = job_id
        self.poll_interval = poll_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"fhir_conn_id": self.fhir_conn_id, "status_url": self.status_url, "job_id": self.job_id,
             "poll_interval": self.poll_interval},
        )

    def poll_once(self) -> Status:
        from intakeflow.provider.hooks.fhir import FhirHook

        with FhirHook(self.fhir_conn_id).get_conn() as client:
            return poll(client, self.status_url)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                status = await asyncio.to_thread(self.poll_once)
            except IntakeflowError as exc:
                yield TriggerEvent({"status": "error", "code": exc.code_id, "gone": bool(exc.params.get("gone")),
                                    "job_id": self.job_id})
                return
            if status.done:
                yield TriggerEvent({"status": "complete", "job_id": self.job_id})
                return
            wait = status.wait_s(self.poll_interval)
            self.log.info("Bulk Data export %s: %s; next poll in %.0f s", self.job_id, status.progress or "in progress",
                          wait)
            await asyncio.sleep(wait)
