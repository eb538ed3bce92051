from __future__ import annotations

from typing import Any

import pytest

from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.spans import Span
from intakeflow.store import Store
from intakeflow.store.processing import PipelineLike, RunTally


def test_tally_counts_labels_and_errors() -> None:
    tally = RunTally()
    tally.add_results([
        PipelineResult(id="1", intent="complaint", queue="q", phi=[Span(0, 1, "NAME"), Span(2, 3, "NAME")],
                       insurance=[Span(4, 5, "CARRIER")], timings_ms={"model": 2.0}, fallback_calls=1),
        PipelineResult(id="2", error_code="E001", error="E001: empty"),
    ])
    out = tally.as_dict()
    assert out["intents"] == {"complaint": 1}
    assert out["phi"] == {"NAME": 2} and out["insurance"] == {"CARRIER": 1}
    assert out["errors"] == {"E001": 1}
    assert (out["batches"], out["fallback_calls"], out["timings_ms"]) == (1, 1, {"model": 2.0})
    assert "text" not in str(out)


class _Op(ProcessMessagesOperator):
    pipeline: PipelineLike

    def build_pipeline(self) -> PipelineLike:
        return self.pipeline


def _stage(dsn: str, schema: str, version: str, texts: list[str]) -> Store:
    store = Store(dsn, schema=schema, pipeline_version=version)
    store.migrate()
    store.stage([InboundMessage("hl7v2", f"F|{i}", t, patient_ref="P|1") for i, t in enumerate(texts)], "r")
    return store


@pytest.mark.parametrize("batch_size", [1, 3, 50])
def test_process_claims_until_empty(
    batch_size: int, pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    texts = ["my bill is wrong, chart 1234567", "book me for tuesday", "FAIL-ME please", "bill again"]
    store = _stage(pg_dsn, store_schema, fake_pipeline.version, texts)
    op = _Op(task_id="p", postgres_conn_id=pg_conn_id, store_schema=store_schema, batch_size=batch_size)
    op.pipeline = fake_pipeline
    out = op.execute(make_context())
    # the failing message is re-claimed until the store's max_attempts (3), then quarantined
    assert (out["claimed"], out["processed"], out["failed"], out["quarantined"]) == (6, 3, 2, 1)
    assert out["intents"] == {"billing_inquiry": 2, "appointment_request": 1}
    assert out["phi"] == {"MRN": 1} and out["errors"] == {"E007": 3}
    assert out["batches"] >= -(-4 // batch_size)
    counts = store.counts()
    assert (counts["processed"], counts["failed"], counts["quarantined"]) == (3, 0, 1)


def test_process_respects_sources_and_max_batches(
    pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    _stage(pg_dsn, store_schema, fake_pipeline.version, ["a bill", "b bill", "c bill"])
    op = _Op(task_id="p", postgres_conn_id=pg_conn_id, store_schema=store_schema, sources=["fhir"], batch_size=1)
    op.pipeline = fake_pipeline
    assert op.execute(make_context())["claimed"] == 0
    op = _Op(task_id="p", postgres_conn_id=pg_conn_id, store_schema=store_schema, batch_size=1, max_batches=2)
    op.pipeline = fake_pipeline
    assert op.execute(make_context())["processed"] == 2


@pytest.mark.parametrize("store_raw", [False, True])
def test_store_raw_decides_whether_quarantined_text_can_be_reprocessed(
    store_raw: bool, pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    from intakeflow.store import ReprocessSelection

    store = _stage(pg_dsn, store_schema, fake_pipeline.version, ["FAIL-ME please", "a bill"])
    op = _Op(task_id="p", postgres_conn_id=pg_conn_id, store_schema=store_schema, batch_size=5, store_raw=store_raw)
    op.pipeline = fake_pipeline
    assert op.execute(make_context())["quarantined"] == 1
    counts = store.reprocess(ReprocessSelection(run_id="r")).as_dict()
    assert counts["requeued"] == (1 if store_raw else 0)


def test_site_formats_file_reaches_the_pipeline_config(tmp_path: Any) -> None:
    path = tmp_path / "site.json"
    path.write_text('{"formats": [{"name": "mrn", "phi": "MRN", "pattern": "QX\\\\d{4}", "cues": ["chart"]}]}')
    op = ProcessMessagesOperator(task_id="p", site_formats=str(path))
    assert [f.name for f in op.pipeline_config().site_formats.formats] == ["mrn"]
    assert ProcessMessagesOperator(task_id="q").pipeline_config().site_formats.formats == ()
