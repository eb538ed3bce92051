"""Operator that re-runs failed or quarantined messages after a fix, or stages copies of
handled messages under a new pipeline version (``intakeflow.store.pg_reprocess``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.errors import E, IntakeflowError
from intakeflow.provider.operators._common import ANY_VERSION, open_store, store_outage_coded
from intakeflow.provider.operators._metrics import publish
from intakeflow.store import ReprocessSelection

_ID_LIST = re.compile(r"[\[\]\s,0-9]*")


def parse_ids(value: Sequence[int | str] | str | None) -> tuple[int, ...]:
    """Message ids from a list, or from a rendered template such as ``"[1, 2]"`` or ``"1 2"``."""
    if value is None:
        return ()
    if isinstance(value, str):
        if not _ID_LIST.fullmatch(value):
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="message ids must be integers")
        return tuple(int(x) for x in re.findall(r"\d+", value))
    try:
        return tuple(int(x) for x in value)
    except ValueError:
        raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="message ids must be integers") from None


def _when(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except ValueError:
        raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="since/until must be ISO 8601 times") from None


class ReprocessMessagesOperator(BaseOperator):
    """Re-queue failed or quarantined messages, or stage copies under a new pipeline version.

    Select messages by ``message_ids``, by ``reprocess_run_id`` (the run that staged
    them), or by the period ``[since, until)`` on ``period_field`` (``received`` or
    ``staged``); exactly one. Without ``new_version`` the failed and quarantined ones go
    back to ``received`` under their own ids, for the next process task to claim; failed
    messages a running task holds are left to it. With ``new_version`` copies are staged
    under that version beside the old results, which are never touched; running it again
    adds nothing. Either way the raw text must still be there (``store_raw``); what cannot
    be re-run is counted by catalogue code (E090 no raw text, E091 quarantined at the
    source, E092 unknown id). An invalid selection fails the task (E093). XCom: counts
    only; they also go out as ``intakeflow.reprocess.*`` metrics.

    :param message_ids: Database ids of the messages (any version): a list, or a rendered
        template such as ``"[1, 2]"`` or ``"1 2"``. (templated)
    :param reprocess_run_id: Airflow run id of the run that staged the messages. (templated)
    :param since: Start of the period (datetime or ISO 8601 string; naive times are UTC);
        needs ``until``. (templated)
    :param until: End of the period, exclusive; needs ``since``. (templated)
    :param period_field: What the period applies to: ``received`` (when the source received
        the message, default) or ``staged`` (when it was staged). (templated)
    :param pipeline_version: Narrow a run or period selection to this pipeline version (with
        ``new_version``: the version copied from); not allowed with ``message_ids``.
        Default ``None``: all versions. (templated)
    :param new_version: Stage copies under this pipeline version (it must differ from
        ``pipeline_version``) instead of re-queueing. Default ``None``: re-queue. (templated)
    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    """

    template_fields: Sequence[str] = (
        "postgres_conn_id", "store_schema", "message_ids", "reprocess_run_id", "since", "until",
        "period_field", "pipeline_version", "new_version",
    )

    def __init__(
        self,
        *,
        message_ids: Sequence[int | str] | str | None = None,
        reprocess_run_id: str | None = None,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        period_field: str = "received",
        pipeline_version: str | None = None,
        new_version: str | None = None,
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.message_ids = message_ids
        self.reprocess_run_id = reprocess_run_id
        self.since = since
        self.until = until
        self.period_field = period_field
        self.pipeline_version = pipeline_version
        self.new_version = new_version
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema

    def selection(self) -> ReprocessSelection:
        return ReprocessSelection(
            ids=parse_ids(self.message_ids), run_id=self.reprocess_run_id or None,
            since=_when(self.since), until=_when(self.until), period_field=self.period_field,
            pipeline_version=self.pipeline_version or None,
        )

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, Any]:
        store = open_store(self.postgres_conn_id, self.store_schema, self.new_version or ANY_VERSION)
        counts = store.reprocess(self.selection(), self.new_version or None).as_dict()
        self.log.info(
            "reprocess: %d selected, %d re-queued, %d staged under a new version, not re-runnable %s",
            counts["selected"], counts["requeued"], counts["staged"], counts["not_requeueable"],
        )
        publish(self, context, "reprocess", counts)
        return counts
