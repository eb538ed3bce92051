"""Deferrable wait for new Communications on a FHIR server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from intakeflow.errors import IntakeflowError


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
