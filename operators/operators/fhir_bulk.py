"""Deferrable operator for a FHIR Bulk Data ``$export`` of Communications into the store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.bulk_export import MAX_WAIT_S, BulkExporter
from intakeflow.errors import E, SourceError
from intakeflow.provider.hooks.fhir import FhirHook
from intakeflow.provider.operators._common import open_store, pipeline_version, store_outage_coded
from intakeflow.provider.operators._metrics import publish, with_default_outlets
from intakeflow.provider.triggers.fhir import FhirBulkExportTrigger
from intakeflow.sources.fhir_bulk import DEFAULT_POLL_S, ExportRequest, Level
from intakeflow.store import RunRef, Store
from intakeflow.store.pg_bulk import BulkExportLog


class FhirBulkExportOperator(BaseOperator):
    """Stage the Communications of a FHIR Bulk Data export (``$export``), incrementally.

    Kicks off a system, patient or group export with ``_type=Communication`` and ``_since`` =
    the ``transactionTime`` of this source's last complete export (kept in the store; none
    on the first run: everything), or ``since`` when given. With ``deferrable=True`` (the
    default) the wait for the export runs in the triggerer (``FhirBulkExportTrigger``, polling
    by the server's ``Retry-After``), so no worker slot is held; then the NDJSON files are
    streamed and staged through the same path as ``intakeflow stage fhir`` (idempotent on the
    Communication id), each batch checkpointed, and the job is DELETEd at the server. Lines
    of the export's error files (OperationOutcome) are quarantined with E039.

    Resumable: a retry (or the next run) of a task killed while waiting or downloading
    continues the same export from its checkpoints (HTTP Range, else by line count): nothing
    is staged twice. An export the server has forgotten is started again from the same
    watermark. Unless ``outlets`` is given, the task's outlet is the store's ``staged`` asset.
    XCom: counts (``staged``, ``duplicates``, ``quarantined``, ``filtered``,
    ``outcome_lines``, ``files``, ``lines``, ``resumed_files``) and the export's ``since``
    and ``transaction_time``; the counts also go out as ``intakeflow.stage.fhir_bulk.*``
    metrics.

    :param fhir_conn_id: FHIR connection (SMART Backend Services or another auth type).
        Default ``fhir_default``. (templated)
    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    :param model_path: Model artifact folder whose version the messages are staged under.
        Default: the bundled model. (templated)
    :param source_name: Staging source name; the watermark is kept per source and export.
        Default ``fhir``. (templated)
    :param level: ``system``, ``patient`` or ``group``. Default ``system``. (templated)
    :param group_id: The Group's id for a group export. (templated)
    :param since: An explicit ``_since`` (datetime or ISO 8601); default: the watermark.
        (templated)
    :param statuses: Communication statuses to stage (others are filtered); empty: all.
        Default ``("completed",)``.
    :param deferrable: Wait for the export in the triggerer. Default ``True``.
    :param poll_interval: Seconds between status polls when the server sends no
        Retry-After. Default 10.
    :param max_wait: Seconds to wait for the export before the task fails (a retry resumes
        the same export). Default 6 hours.
    :param delete_job: DELETE the export at the server when done. Default ``True``.
    """

    template_fields: Sequence[str] = (
        "fhir_conn_id", "postgres_conn_id", "store_schema", "model_path", "source_name", "level", "group_id", "since",
    )

    def __init__(
        self,
        *,
        fhir_conn_id: str = FhirHook.default_conn_name,
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        model_path: str | None = None,
        source_name: str = "fhir",
        level: str = "system",
        group_id: str | None = None,
        since: datetime | str | None = None,
        statuses: Sequence[str] = ("completed",),
        deferrable: bool = True,
        poll_interval: float = DEFAULT_POLL_S,
        max_wait: float = MAX_WAIT_S,
        delete_job: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_default_outlets(kwargs, store_schema, "staged"))
        self.fhir_conn_id = fhir_conn_id
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema
        self.model_path = model_path
        self.source_name = source_name
        self.level = level
        self.group_id = group_id
        self.since = since
        self.statuses = statuses
        self.deferrable = deferrable
        self.poll_interval = poll_interval
        self.max_wait = max_wait
        self.delete_job = delete_job

    def export_request(self) -> ExportRequest:
        since: datetime | None = None
        if isinstance(self.since, datetime):
            since = self.since
        elif self.since:
            since = datetime.fromisoformat(self.since.replace("Z", "+00:00"))
        level: Level = self.level  # type: ignore[assignment]  # checked by ExportRequest
        return ExportRequest(level=level, group_id=self.group_id or None, since=since)

    def _exporter(self, client: Any, store: Store, context: Context) -> BulkExporter:
        statuses = frozenset(self.statuses) if self.statuses else None
        return BulkExporter(client, store, self.export_request(), source=self.source_name,
                            statuses=statuses,
                            run=RunRef(self.dag_id, str(context["run_id"])), delete_job=self.delete_job,
                            max_wait_s=float(self.max_wait))

    def _store(self) -> Store:
        return open_store(self.postgres_conn_id, self.store_schema, pipeline_version(self.model_path))

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, Any] | None:
        store = self._store()
        with FhirHook(self.fhir_conn_id).get_conn() as client:
            exporter = self._exporter(client, store, context)
            job = exporter.begin()
            if job.state == "exporting":
                status = exporter.check(job)  # a small export may be ready at once
                if not status.done and self.deferrable:
                    trigger = FhirBulkExportTrigger(self.fhir_conn_id, job.status_url, job.id, float(self.poll_interval))
                    self.defer(trigger=trigger, method_name="execute_complete",
                               timeout=timedelta(seconds=float(self.max_wait)))
                manifest = status.manifest if status.done else exporter.wait(job)
                counts = exporter.download(job, manifest).as_dict()
            else:
                counts = exporter.download(job).as_dict()
        return self._done(context, counts)

    @store_outage_coded
    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") != "complete":
            raise SourceError(E.E081_WAIT_FAILED, trigger="FhirBulkExportTrigger", error=event.get("code", "?"))
        store = self._store()
        job = BulkExportLog(store).get(int(event["job_id"]))
        if job is None or job.state not in ("exporting", "downloading"):
            raise SourceError(E.E038_FHIR_BULK_FAILED, why="the export the trigger waited for is no longer open")
        with FhirHook(self.fhir_conn_id).get_conn() as client:
            exporter = self._exporter(client, store, context)
            manifest = None
            if job.state == "exporting":
                status = exporter.check(job)
                if not status.done:
                    raise SourceError(E.E038_FHIR_BULK_FAILED, why="the export was ready, now it is not")
                manifest = status.manifest
            counts = exporter.download(job, manifest).as_dict()
        return self._done(context, counts)

    def _done(self, context: Context, counts: dict[str, Any]) -> dict[str, Any]:
        self.log.info("Bulk Data export staged %(staged)d, duplicates %(duplicates)d, quarantined %(quarantined)d "
                      "(%(outcome_lines)d error lines), filtered %(filtered)d from %(files)d files", counts)
        publish(self, context, "stage.fhir_bulk", counts)
        return counts
