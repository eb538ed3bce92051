"""Counts as Airflow metrics (through the task SDK's stats API) and as asset event extras."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import Asset
from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
from airflow.sdk.execution_time.context import OutletEventAccessors
from airflow.sdk.observability import stats

from intakeflow.provider.operators._metrics import (
    counts_only,
    metric_counts,
    metric_timings,
    stage_asset,
    with_default_outlets,
)
from intakeflow.provider.operators.hl7 import StageHl7ArchiveOperator
from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.provider.operators.store import MigrateStoreOperator
from intakeflow.results import InboundMessage
from intakeflow.store import Store
from tools.demo_data import DemoText, write_hl7_archive

SECRET = "Zebediah Quillfeather"  # a made-up name that must never reach a metric or an extra


class RecordingStats(NoStatsLogger):
    """A stats backend that keeps what it is sent."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.timings: dict[str, float] = {}
        self.tags: list[dict[str, str]] = []

    def incr(self, stat: str, count: int = 1, rate: int = 1, *, tags: dict[str, str] | None = None) -> None:  # type: ignore[override]
        self.counters[stat] = self.counters.get(stat, 0) + count
        self.tags.append(dict(tags or {}))

    def timing(self, stat: str, dt: Any, *, tags: dict[str, str] | None = None) -> None:  # type: ignore[override]
        self.timings[stat] = float(dt)


@pytest.fixture
def recorder() -> Iterator[RecordingStats]:
    rec = RecordingStats()
    stats.initialize(factory=lambda: rec, export_legacy_names=False)
    try:
        yield rec
    finally:
        stats.initialize(factory=NoStatsLogger, export_legacy_names=True)


PROCESS_COUNTS: dict[str, Any] = {
    "claimed": 4, "processed": 3, "failed": 1, "batches": 2, "dry_run": True,
    "intents": {"billing_inquiry": 2, "appointment_request": 1},
    "phi": {"MRN": 2, SECRET: 1}, "errors": {"E007": 1}, "note": SECRET,
    "timings_ms": {"model": 8.0, "validators": 2.0},
}


def test_metric_names_and_values() -> None:
    got = dict(metric_counts("process", PROCESS_COUNTS))
    assert got["intakeflow.process.processed"] == 3
    assert got["intakeflow.process.intents.billing_inquiry"] == 2
    assert got["intakeflow.process.errors.E007"] == 1
    # a label that is not a vocabulary word is counted, under "other", never by its text
    assert got["intakeflow.process.phi.other"] == 1
    assert not any(SECRET.split()[0] in name for name in got)
    assert "intakeflow.process.dry_run" not in got and "intakeflow.process.note" not in got
    assert not any("timings_ms" in name for name in got)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        (PROCESS_COUNTS, {"intakeflow.process.latency_ms.model": 2.0, "intakeflow.process.latency_ms.validators": 0.5}),
        ({**PROCESS_COUNTS, "claimed": 0}, {}),
        ({"claimed": 3}, {}),
    ],
)
def test_latency_is_per_claimed_message(counts: dict[str, Any], expected: dict[str, float]) -> None:
    assert dict(metric_timings("process", counts)) == expected


def test_counts_only_keeps_numbers() -> None:
    extra = counts_only(PROCESS_COUNTS)
    assert extra["processed"] == 3 and extra["phi"] == {"MRN": 2, "other": 1}
    assert "timings_ms" not in extra and "note" not in extra and "dry_run" not in extra
    assert SECRET not in str(extra)


@pytest.mark.parametrize(
    ("kwargs", "schema", "expected"),
    [
        ({}, "store_a", ["intakeflow://store_a/messages/processed"]),
        ({}, "{{ params.store_schema }}", None),
        ({"outlets": []}, "store_a", []),
        ({"outlets": [Asset("s3://bucket/x")]}, "store_a", ["s3://bucket/x"]),
    ],
)
def test_default_outlets(kwargs: dict[str, Any], schema: str, expected: list[str] | None) -> None:
    out = with_default_outlets(kwargs, schema, "processed")
    assert ([a.uri for a in out["outlets"]] if "outlets" in out else None) == expected


def test_operators_get_their_stage_asset() -> None:
    op = ProcessMessagesOperator(task_id="p", store_schema="store_a")
    assert op.outlets == [stage_asset("store_a", "processed")]
    templated = ProcessMessagesOperator(task_id="q", store_schema="{{ params.store_schema }}")
    assert templated.outlets == []


def _staged(dsn: str, schema: str, version: str, n: int) -> None:
    store = Store(dsn, schema=schema, pipeline_version=version)
    store.migrate()
    texts = [f"{SECRET} asks about my bill, chart 765432{i}" for i in range(n)]
    store.stage([InboundMessage("hl7v2", f"M|{i}", t, patient_ref="P|1") for i, t in enumerate(texts)], "r")


def test_process_emits_metrics_and_asset_extra(
    recorder: RecordingStats, pg_dsn: str, pg_conn_id: str, store_schema: str, fake_pipeline: Any, make_context: Any
) -> None:
    _staged(pg_dsn, store_schema, fake_pipeline.version, 3)
    other = Asset("s3://bucket/unrelated")
    op = ProcessMessagesOperator(
        task_id="p", postgres_conn_id=pg_conn_id, store_schema=store_schema,
        outlets=[stage_asset(store_schema, "processed"), other],
    )
    events = OutletEventAccessors()
    op.execute({**make_context(), "outlet_events": events})
    assert recorder.counters["intakeflow.process.processed"] == 3
    assert recorder.counters["intakeflow.process.intents.billing_inquiry"] == 3
    assert recorder.counters["intakeflow.process.phi.MRN"] == 3
    assert recorder.timings["intakeflow.process.latency_ms.model"] == pytest.approx(1.0)
    assert {"dag_id": "adhoc_airflow", "task_id": "p"} in recorder.tags
    extra = events[stage_asset(store_schema, "processed")].extra
    assert (extra["processed"], extra["intents"], extra["phi"]) == (3, {"billing_inquiry": 3}, {"MRN": 3})
    assert events[other].extra == {}  # only intakeflow assets get the counts
    assert SECRET not in f"{recorder.counters}{recorder.timings}{extra}"


def test_stage_hl7_emits_metrics_without_outlet_events(
    recorder: RecordingStats, tmp_path: Path, pg_conn_id: str, store_schema: str, fake_model: str, make_context: Any
) -> None:
    day = datetime(2024, 3, 4, tzinfo=UTC)
    texts = [DemoText(id=f"t{i}", text=f"{SECRET} asks about a bill {i}") for i in range(6)]
    write_hl7_archive(tmp_path / "a", texts, day, days=1, files_per_day=2, without_text_every=3)
    files = sorted(p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*.hl7*"))
    MigrateStoreOperator(task_id="m", postgres_conn_id=pg_conn_id, store_schema=store_schema).execute(make_context())
    op = StageHl7ArchiveOperator(
        task_id="s", archive_root=str(tmp_path / "a"), files=files, postgres_conn_id=pg_conn_id,
        store_schema=store_schema, model_path=fake_model,
    )
    out = op.execute(make_context())  # a plain context without outlet_events: metrics only
    assert out["staged"] + out["quarantined"] == 6 and out["quarantined"] >= 1
    assert recorder.counters["intakeflow.stage.hl7.staged"] == out["staged"]
    assert recorder.counters["intakeflow.stage.hl7.quarantined"] == out["quarantined"]
    assert recorder.counters["intakeflow.stage.hl7.files"] == len(files) == 2


@pytest.mark.integration
@pytest.mark.parametrize("templated", [False, True], ids=["literal-schema", "templated-schema"])
def test_asset_event_extra_lands_in_airflow(
    recorder: RecordingStats, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_dsn: str, pg_conn_id: str,
    store_schema: str, fake_pipeline: Any, templated: bool,
) -> None:
    """A real ``dag.test()`` run: the task runner turns the outlet extra into an AssetEvent,
    also when the schema is a template and the outlet is given explicitly (example DAGs)."""
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.models.asset import AssetEvent
    from airflow.utils.db import initdb
    from airflow.utils.session import create_session
    from sqlalchemy import select

    schema_arg = "{{ params.s }}" if templated else store_schema
    (tmp_path / "probe_dag.py").write_text(textwrap.dedent(f"""
        from datetime import UTC, datetime
        from airflow.sdk import DAG
        from intakeflow.provider.operators.process import ProcessMessagesOperator
        from intakeflow.provider.operators._metrics import stage_asset
        with DAG("metrics_probe_{store_schema}", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC),
                 params={{"s": "{store_schema}"}}):
            ProcessMessagesOperator(task_id="process", postgres_conn_id="{pg_conn_id}", store_schema="{schema_arg}",
                                    outlets=[stage_asset("{store_schema}", "processed")])
    """))
    # dag.test() syncs the "dags-folder" bundle, whose path Airflow read into settings at import
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(tmp_path))
    _staged(pg_dsn, store_schema, fake_pipeline.version, 5)
    initdb()
    dag = DagBag(str(tmp_path)).dags[f"metrics_probe_{store_schema}"]
    assert str(dag.test().state) == "success"
    with create_session() as session:
        events = [e for e in session.scalars(select(AssetEvent)) if e.asset.uri == stage_asset(store_schema, "processed").uri]
        assert len(events) == 1
        extra = events[0].extra
    assert (extra["claimed"], extra["processed"], extra["phi"]) == (5, 5, {"MRN": 5})
    assert extra["store_schema"] == store_schema
    assert SECRET not in str(extra)
    assert recorder.counters["intakeflow.process.processed"] == 5
