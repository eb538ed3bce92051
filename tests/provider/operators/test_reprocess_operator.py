from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.errors import IntakeflowError
from intakeflow.provider.operators.process import PipelineLike, ProcessMessagesOperator
from intakeflow.provider.operators.reprocess import ReprocessMessagesOperator, parse_ids
from intakeflow.results import InboundMessage, PipelineInput, PipelineResult
from intakeflow.store import Store

TEXTS = ["my bill, chart 1234567", "FAIL-ME now", "book tuesday", "FAIL-ME again"]


class _Op(ProcessMessagesOperator):
    pipeline: PipelineLike

    def build_pipeline(self) -> PipelineLike:
        return self.pipeline


class _Fixed:
    """The same fake pipeline after the "fix": the failing marker no longer fails."""

    def __init__(self, inner: PipelineLike, version: str | None = None) -> None:
        self.inner = inner
        self.version = version or inner.version

    def process(self, messages: Sequence[PipelineInput]) -> list[PipelineResult]:
        fixed = [replace(m, text=m.text.replace("FAIL-ME", "fixed")) for m in messages]
        return [replace(r, pipeline_version=self.version) for r in self.inner.process(fixed)]


def _process(conn_id: str, schema: str, pipeline: PipelineLike, context: Any) -> dict[str, Any]:
    op = _Op(task_id="p", postgres_conn_id=conn_id, store_schema=schema)
    op.pipeline = pipeline
    return op.execute(context)


def _staged_and_processed(dsn: str, schema: str, pipeline: Any, *, store_raw: bool) -> Store:
    store = Store(dsn, schema=schema, pipeline_version=pipeline.version, store_raw=store_raw, max_attempts=1)
    store.migrate()
    store.stage([InboundMessage("hl7v2", f"S|{i}", t) for i, t in enumerate(TEXTS)], "stage-run")
    batch = store.claim(10, "t")
    store.save_results(zip(batch, pipeline.process([m.to_pipeline_input() for m in batch]), strict=True))
    assert store.counts()["quarantined"] == 2
    return store


def _quarantined_ids(store: Store) -> list[int]:
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT id FROM {}.messages WHERE status = 'quarantined' ORDER BY id").format(
            sql.Identifier(store.schema))).fetchall()
    return [int(r[0]) for r in rows]


@pytest.mark.parametrize("mode", ["run", "ids"])
def test_quarantined_messages_are_rerun_under_their_ids(
    mode: str, pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    store = _staged_and_processed(pg_dsn, store_schema, fake_pipeline, store_raw=True)
    ids = _quarantined_ids(store)
    # as a rendered template would hand them over
    select = {"reprocess_run_id": "stage-run"} if mode == "run" else {"message_ids": str(ids)}
    op = ReprocessMessagesOperator(task_id="r", postgres_conn_id=pg_conn_id, store_schema=store_schema, **select)
    out = op.execute(make_context())
    assert (out["requeued"], out["not_requeueable"]) == (2, {})
    summary = _process(pg_conn_id, store_schema, _Fixed(fake_pipeline), make_context())
    assert (summary["claimed"], summary["processed"]) == (2, 2)
    counts = store.counts()
    assert (counts["processed"], counts["quarantined"], counts["total"]) == (4, 0, 4)
    assert _quarantined_ids(store) == [] and len(ids) == 2
    assert "FAIL" not in str(out)  # counts only


def test_without_store_raw_the_operator_reports_codes(
    pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    _staged_and_processed(pg_dsn, store_schema, fake_pipeline, store_raw=False)
    op = ReprocessMessagesOperator(task_id="r", postgres_conn_id=pg_conn_id, store_schema=store_schema,
                                   since="2000-01-01T00:00:00+00:00", until="2999-01-01T00:00:00+00:00",
                                   period_field="staged")
    out = op.execute(make_context())
    assert (out["selected"], out["requeued"], out["not_requeueable"]) == (4, 0, {"E090": 2})


def test_new_version_is_processed_beside_the_old(
    pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    old = _staged_and_processed(pg_dsn, store_schema, fake_pipeline, store_raw=True)
    v2 = _Fixed(fake_pipeline, "fake-model@2")
    op = ReprocessMessagesOperator(task_id="r", postgres_conn_id=pg_conn_id, store_schema=store_schema,
                                   reprocess_run_id="stage-run", new_version=v2.version)
    assert op.execute(make_context())["staged"] == 4
    assert op.execute(make_context())["already_staged"] == 4
    assert _process(pg_conn_id, store_schema, v2, make_context())["processed"] == 4
    assert old.counts()["quarantined"] == 2  # version 1 keeps its results
    assert Store(pg_dsn, schema=store_schema, pipeline_version=v2.version).counts()["processed"] == 4


@pytest.mark.parametrize(("value", "expected"), [
    (None, ()), ([3, "4"], (3, 4)), ("[1, 2]", (1, 2)), ("5 6", (5, 6)), ("", ()),
])
def test_parse_ids(value: Any, expected: tuple[int, ...]) -> None:
    assert parse_ids(value) == expected


@pytest.mark.parametrize("value", ["1; DROP", ["x"], "[1.5]"])
def test_parse_ids_rejects_non_integers(value: Any) -> None:
    with pytest.raises(IntakeflowError) as info:
        parse_ids(value)
    assert info.value.code_id == "E093"


def test_operator_needs_a_selection(pg_conn_id: str, store_schema: str, make_context: Any) -> None:
    op = ReprocessMessagesOperator(task_id="r", postgres_conn_id=pg_conn_id, store_schema=store_schema)
    with pytest.raises(IntakeflowError) as info:
        op.execute(make_context())
    assert info.value.code_id == "E093"
