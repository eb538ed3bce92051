"""Operators for a FHIR R4 server: stage Communications of a window, write results back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.provider.hooks.fhir import FhirHook
from intakeflow.provider.operators._common import interval, open_store, pipeline_version, store_outage_coded
from intakeflow.provider.operators._metrics import publish, with_default_outlets
from intakeflow.sources import iter_communications
from intakeflow.writeback.writer import DEFAULT_BUNDLE_SIZE, FhirWriter, deliver_pending


class StageFhirCommunicationsOperator(BaseOperator):
    """Stage the Communications last updated in the data interval ``[start, end)``.

    Incremental and catchup-safe: each run reads only its own window, and staging is
    idempotent on the Communication id. Communications that intakeflow wrote back itself
    (redacted copies) are skipped; invalid ones and ones without text are quarantined. Unless
    ``outlets`` is given, the task's outlet is the store's ``staged`` asset (none when
    ``store_schema`` is templated). XCom: counts (``staged``, ``duplicates``,
    ``quarantined``), also sent as ``intakeflow.stage.fhir.*`` metrics and as the extra of
    the ``staged`` asset event.

    :param fhir_conn_id: FHIR connection to read from. Default ``fhir_default``. (templated)
    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    :param model_path: Model artifact folder whose ``name@version`` becomes the pipeline
        version the messages are staged under; use the same value as the process task.
        Default: the bundled model. (templated)
    :param start: Start of the window on ``_lastUpdated`` (datetime or ISO 8601 string).
        Default: the start of the run's data interval. (templated)
    :param end: End of the window, exclusive. Default: the end of the run's data interval.
        (templated)
    :param source_name: Source name in the staging key ``(source, source_id, version)``;
        give each FHIR server its own name so ids cannot collide. Default ``fhir``. (templated)
    :param statuses: Communication ``status`` values to read; empty means no status filter.
        Default ``("completed",)``.
    :param categories: Communication ``category`` search tokens (``code`` or
        ``system|code``); empty means all categories. Default ``()``.
    :param page_size: Search page size (``_count``). Default 100. (templated)
    """

    template_fields: Sequence[str] = (
        "fhir_conn_id", "postgres_conn_id", "store_schema", "model_path", "start", "end", "source_name", "page_size",
    )

    def __init__(
        self,
        *,
        fhir_conn_id: str = FhirHook.default_conn_name,
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        model_path: str | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        source_name: str = "fhir",
        statuses: Sequence[str] = ("completed",),
        categories: Sequence[str] = (),
        page_size: int | str = 100,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_default_outlets(kwargs, store_schema, "staged"))
        self.fhir_conn_id = fhir_conn_id
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema
        self.model_path = model_path
        self.start = start
        self.end = end
        self.source_name = source_name
        self.statuses = statuses
        self.categories = categories
        self.page_size = page_size

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, int]:
        lo, hi = interval(context, self.start, self.end)
        store = open_store(self.postgres_conn_id, self.store_schema, pipeline_version(self.model_path))
        with FhirHook(self.fhir_conn_id).get_conn() as client:
            items = iter_communications(
                client, lo, hi, statuses=self.statuses, categories=self.categories,
                page_size=int(self.page_size), source=self.source_name,
            )
            counts = store.stage(items, str(context["run_id"]), self.dag_id).as_dict()
        self.log.info("staged %(staged)d, duplicates %(duplicates)d, quarantined %(quarantined)d", counts)
        publish(self, context, "stage.fhir", counts)
        return counts


class FhirWriteBackOperator(BaseOperator):
    """Write processed results back to the FHIR server.

    Per message: the intent on the source Communication (FHIR-sourced messages only), a
    redacted derived Communication, a routing Task, a Coverage and a Provenance; the
    entries of ``bundle_size`` messages go in one transaction Bundle (a Bundle the server
    refuses for one entry is split until that message fails alone, coded); ``batch_size``
    messages per pass, at most ``max_batches`` passes, stopping early once a pass moves
    nothing or the queue is drained. Idempotent: resources are created conditionally on
    identifiers intakeflow owns, so a retry creates nothing twice. Transient failures stay
    pending for the next run; invalid results are quarantined (E031). Unless ``outlets`` is
    given, the task's outlet is the store's ``written_back`` asset (none when
    ``store_schema`` is templated). XCom: counts only (``delivered``,
    ``quarantined``, ``failed``), also sent as ``intakeflow.write_back.*`` metrics and as
    the extra of the ``written_back`` asset event.

    :param fhir_conn_id: FHIR connection to write to. Default ``fhir_default``. (templated)
    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    :param model_path: Model artifact folder; only results of its pipeline version
        (``name@version``) are written back. Default: the bundled model. (templated)
    :param batch_size: Messages per pass. Default 100. (templated)
    :param bundle_size: Messages per FHIR transaction Bundle. Default 25. (templated)
    :param max_batches: Most passes per run; what is left waits for the next run.
        Default 50. (templated)
    """

    template_fields: Sequence[str] = (
        "fhir_conn_id", "postgres_conn_id", "store_schema", "model_path", "batch_size", "max_batches", "bundle_size",
    )

    def __init__(
        self,
        *,
        fhir_conn_id: str = FhirHook.default_conn_name,
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        model_path: str | None = None,
        batch_size: int | str = 100,
        max_batches: int | str = 50,
        bundle_size: int | str = DEFAULT_BUNDLE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_default_outlets(kwargs, store_schema, "written_back"))
        self.fhir_conn_id = fhir_conn_id
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema
        self.model_path = model_path
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.bundle_size = bundle_size

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, int]:
        store = open_store(self.postgres_conn_id, self.store_schema, pipeline_version(self.model_path))
        totals: Counter[str] = Counter({"delivered": 0, "quarantined": 0, "failed": 0})
        size = int(self.batch_size)
        with FhirHook(self.fhir_conn_id).get_conn() as client:
            writer = FhirWriter(client, bundle_size=int(self.bundle_size))
            for _ in range(int(self.max_batches)):
                counts = deliver_pending(store, writer, size)
                totals.update(counts)
                # failures stay pending: stop once a pass moves nothing or the queue is drained
                moved = counts["delivered"] + counts["quarantined"]
                if moved == 0 or sum(counts.values()) < size:
                    break
        result = dict(totals)
        self.log.info("delivered %(delivered)d, quarantined %(quarantined)d, failed %(failed)d", result)
        publish(self, context, "write_back", result)
        return result
