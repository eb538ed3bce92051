"""Sensor that waits for new Communications on a FHIR server."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator, Context

from intakeflow.errors import E, SourceError
from intakeflow.provider.hooks.fhir import FhirHook
from intakeflow.provider.operators._common import since_of
from intakeflow.provider.triggers.fhir import FhirCommunicationTrigger


class FhirCommunicationSensor(BaseSensorOperator):
    """Succeed once a Communication was updated at or after ``since`` (default: the start
    of the data interval). Deferrable by default.

    Each check is a one-entry search on ``_lastUpdated``, so any Communication counts,
    including ones write-back created or updated. With ``deferrable=True`` the sensor checks
    once, then hands the wait to ``FhirCommunicationTrigger`` (polling every
    ``poke_interval`` seconds, up to ``timeout``) so no worker slot is held; a server or
    connection error in the trigger fails the task with E081. With ``deferrable=False`` it
    pokes like any sensor (``mode``, ``poke_interval``, ``timeout``). XCom: nothing.

    :param fhir_conn_id: FHIR connection to watch. Default ``fhir_default``. (templated)
    :param since: Earliest ``_lastUpdated`` that counts (datetime or ISO 8601 string; naive
        times are UTC). Default: the start of the run's data interval. (templated)
    :param deferrable: Wait in the triggerer instead of a worker slot. Default ``True``.
    """

    template_fields: Sequence[str] = ("fhir_conn_id", "since")

    def __init__(
        self,
        *,
        fhir_conn_id: str = FhirHook.default_conn_name,
        since: datetime | str | None = None,
        deferrable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fhir_conn_id = fhir_conn_id
        self.since = since
        self.deferrable = deferrable

    def trigger(self, context: Context) -> FhirCommunicationTrigger:
        since = since_of(context, self.since)
        return FhirCommunicationTrigger(self.fhir_conn_id, since.isoformat(), float(self.poke_interval))

    def poke(self, context: Context) -> bool:
        return self.trigger(context).has_new()

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        trigger = self.trigger(context)
        if trigger.has_new():
            return None
        self.defer(trigger=trigger, method_name="execute_complete", timeout=timedelta(seconds=float(self.timeout)))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> None:
        if event.get("status") != "found":
            raise SourceError(E.E081_WAIT_FAILED, trigger="FhirCommunicationTrigger", error=event.get("code", "?"))
