"""Operator that runs the pipeline over staged messages, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, Context

from intakeflow.provider.operators._common import claim_token, open_store, store_outage_coded
from intakeflow.provider.operators._metrics import publish, with_default_outlets
from intakeflow.store.live import QueueWaiter
from intakeflow.store.processing import PipelineLike, process_pending
from intakeflow.store.staged import RunRef

if TYPE_CHECKING:
    from intakeflow.pipeline import PipelineConfig


class ProcessMessagesOperator(BaseOperator):
    """Run the pipeline over staged messages, batch by batch, and save the results.

    Claim staged messages, run the pipeline, save the results; repeat until none are left
    (or ``max_batches``). One bad message never fails the task: the store quarantines input
    errors at once and re-claims other failures until its ``max_attempts``, then quarantines.
    Each batch commits alone and the claim token is stable across retries of one task
    instance, so a retry resumes the messages it claimed but did not save; parallel (mapped)
    tasks claim disjoint messages. Only messages of the pipeline's own version
    (``name@version`` of the model) are claimed. Unless ``outlets`` is given, the task's
    outlet is the store's ``processed`` asset (none when ``store_schema`` is templated).
    XCom: counts by outcome, intent, queue, PHI and insurance type; the same counts go out
    as ``intakeflow.process.*`` metrics and as the extra of the ``processed`` asset event.

    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    :param sources: Claim only messages of these source names (``hl7v2`` for HL7 archives,
        ``fhir`` or the stage task's ``source_name`` for FHIR). Default ``None``: all sources.
        (templated)
    :param batch_size: Messages claimed, processed and saved per batch. Default 64. (templated)
    :param workers: Batches in the pipeline at once, each on a thread of its own; the next
        batch is claimed and the last one saved meanwhile either way. Each worker can keep
        a core busy, so keep it at or below the cores a task slot may use. Default 1.
        (templated)
    :param max_batches: Most batches per run; ``None`` (default) runs until no claimable
        message is left. (templated)
    :param model_path: Model artifact folder to run; its ``name@version`` is the pipeline
        version, which must match the one the messages were staged under. Default: the
        bundled model. (templated)
    :param anthropic_conn_id: Anthropic connection; naming one switches the LLM fallback on
        with that connection's key, model, endpoint and timeout (identifier windows are then
        sent to the API). Default ``None``: no fallback. (templated)
    :param store_raw: Keep each message's raw text after it is processed or quarantined;
        needed to reprocess it later (``ReprocessMessagesOperator``). Default ``False``:
        the text is dropped.
    :param site_formats: Path of a JSON file of this site's identifier formats (MRN, member
        id, account numbers) the pipeline recognizes beside its built-in recognizers.
        Default ``None``: the file ``$INTAKEFLOW_SITE_FORMATS`` names, else none. (templated)
    :param linger_s: For a live feed: once the queue is empty, keep taking new messages as
        they are staged until none has come for this many seconds (only a run that found
        work lingers). Holds the task's worker slot meanwhile. Default 0: end when empty.
        (templated)
    :param max_run_s: Claim no new batch after this many seconds; what is in hand is
        finished. Default ``None``: no limit. (templated)
    :param notify_channel: While lingering, wake on this PostgreSQL ``NOTIFY`` channel (the
        MLLP listener's ``--notify-channel``) instead of polling every second. Default
        ``None``: poll. (templated)
    """

    template_fields: Sequence[str] = (
        "postgres_conn_id", "store_schema", "sources", "model_path", "batch_size", "max_batches", "anthropic_conn_id",
        "site_formats", "workers", "linger_s", "max_run_s", "notify_channel",
    )

    def __init__(
        self,
        *,
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        sources: Sequence[str] | None = None,
        batch_size: int | str = 64,
        max_batches: int | str | None = None,
        model_path: str | None = None,
        anthropic_conn_id: str | None = None,
        store_raw: bool = False,
        site_formats: str | None = None,
        workers: int | str = 1,
        linger_s: float | str = 0.0,
        max_run_s: float | str | None = None,
        notify_channel: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**with_default_outlets(kwargs, store_schema, "processed"))
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema
        self.sources = sources
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.model_path = model_path
        self.anthropic_conn_id = anthropic_conn_id
        # keep the raw text after processing (needed to reprocess quarantined messages later)
        self.store_raw = store_raw
        # JSON file of this site's identifier formats (default: $INTAKEFLOW_SITE_FORMATS)
        self.site_formats = site_formats
        self.workers = workers
        self.linger_s = linger_s
        self.max_run_s = max_run_s
        self.notify_channel = notify_channel

    def pipeline_config(self) -> PipelineConfig:
        from intakeflow.pipeline import PipelineConfig

        config = PipelineConfig()
        if self.model_path:
            config.model_path = type(config.model_path)(self.model_path)
        from intakeflow.pipeline.recognizers.site_formats import load_site_formats

        config.site_formats = load_site_formats(self.site_formats)
        if self.anthropic_conn_id:
            from intakeflow.provider.hooks.anthropic import AnthropicHook

            config.fallback = AnthropicHook(self.anthropic_conn_id).fallback_config(config.fallback)
        return config

    def build_pipeline(self) -> PipelineLike:
        # imported here: DAG parsing must not load onnxruntime and the model code
        from intakeflow.pipeline import Pipeline
        from intakeflow.pipeline.model.runtime import shared_model

        config = self.pipeline_config()
        # the model is loaded once per worker process; the pipeline (fallback budget) per task
        return Pipeline(config, model=shared_model(str(config.model_path), config.threads))

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, Any]:
        pipeline = self.build_pipeline()
        # the pipeline's own version keys the claim, so a changed model never re-reads old rows
        store = open_store(self.postgres_conn_id, self.store_schema, pipeline.version, store_raw=self.store_raw)
        sources = list(self.sources) if self.sources else None
        linger_s = float(self.linger_s or 0)
        with ExitStack() as stack:
            waiter = None
            if linger_s > 0 and self.notify_channel:
                waiter = stack.enter_context(QueueWaiter(store.dsn, store.schema, sources, self.notify_channel))
            tally = process_pending(
                store, pipeline, claim_token(context),
                batch_size=int(self.batch_size),
                sources=sources,
                max_batches=None if self.max_batches in (None, "", "None") else int(self.max_batches),
                run=RunRef(self.dag_id, str(context["run_id"])),
                workers=int(self.workers),
                linger_s=linger_s,
                max_run_s=None if self.max_run_s in (None, "", "None") else float(self.max_run_s),
                wait=None if waiter is None else waiter.wait,
            )
        summary = tally.as_dict()
        self.log.info(
            "processed %d, failed %d, quarantined %d in %d batches",
            summary["processed"], summary["failed"], summary["quarantined"], summary["batches"],
        )
        publish(self, context, "process", summary)
        return summary
