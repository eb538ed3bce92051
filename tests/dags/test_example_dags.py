from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import CronDataIntervalTimetable

from tools.demo_data import DemoText, communication, write_hl7_archive

DAGS = Path(__file__).parents[2] / "dags"


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(str(DAGS))


def test_dags_import_without_errors(bag: DagBag) -> None:
    assert bag.import_errors == {}
    assert sorted(bag.dag_ids) == ["fhir_communication_intake", "hl7_archive_intake", "hl7_live_intake",
                                   "intakeflow_watchdog"]


@pytest.mark.parametrize(
    ("dag_id", "cron"),
    [("hl7_archive_intake", "0 0 * * *"), ("fhir_communication_intake", "0 * * * *"), ("hl7_live_intake", "*/5 * * * *")],
)
def test_dag_settings(bag: DagBag, dag_id: str, cron: str) -> None:
    dag = bag.dags[dag_id]
    timetable = dag.timetable
    assert isinstance(timetable, CronDataIntervalTimetable) and timetable.expression == cron
    assert dag.doc_md and "XCom" in dag.doc_md
    assert {"postgres_conn_id", "store_schema", "batch_size"} <= set(dag.params.keys())
    assert all((t.retries or 0) >= 1 for t in dag.tasks if t.task_id != "wait_for_files")
    # the default store's asset is each processing task's outlet (the schema is a run param)
    assert [a.uri for a in dag.get_task("process").outlets] == ["intakeflow://intakeflow/messages/processed"]


def _messages(pg_dsn: str, schema: str) -> dict[str, int]:
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(f'SELECT status, count(*) FROM "{schema}".messages GROUP BY 1').fetchall()
    return {r[0]: int(r[1]) for r in rows}


def _fhir_counts(base: str) -> dict[str, int]:
    out = {}
    for rtype in ("Communication", "Task", "Coverage", "Provenance"):
        bundle = httpx.get(f"{base}/{rtype}", params={"_summary": "count"}, timeout=10).raise_for_status().json()
        out[rtype] = int(bundle["total"])
    return out


def test_hl7_dag_end_to_end(
    bag: DagBag, airflow_db: None, tmp_path: Path, pg_dsn: str, store_schema: str, pg_conn_id: str, fake_model: str,
    fake_pipeline: Any,
) -> None:
    day = datetime(2024, 3, 4, tzinfo=UTC)
    texts = [DemoText(f"t{i}", f"about my bill, chart 765432{i % 10}") for i in range(30)]
    write_hl7_archive(tmp_path / "arch", texts, day, days=1, files_per_day=5, without_text_every=10)
    conf = {"archive_root": str(tmp_path / "arch"), "postgres_conn_id": pg_conn_id, "store_schema": store_schema,
            "model_path": fake_model, "files_per_shard": 2}
    dag = bag.dags["hl7_archive_intake"]
    run = dag.test(logical_date=day + timedelta(days=1), run_conf=conf)
    assert str(run.state) == "success"
    states = {(ti.task_id, ti.map_index): str(ti.state) for ti in run.get_task_instances()}
    assert sum(1 for (t, _), _s in states.items() if t == "stage_shard") == 3  # 5 files in shards of 2
    assert states.pop(("write_back", -1)) == "skipped"  # write-back is off by default for the archive
    assert set(states.values()) == {"success"}
    assert _messages(pg_dsn, store_schema) == {"processed": 27}
    with psycopg.connect(pg_dsn) as conn:
        attributed = conn.execute(
            f'SELECT DISTINCT dag_id, run_id = processed_run_id, processed_dag_id FROM "{store_schema}".messages'
        ).fetchall()
    assert attributed == [("hl7_archive_intake", True, "hl7_archive_intake")]
    # backfill-safe: the same day again adds nothing
    again = dag.test(logical_date=day + timedelta(days=1), run_conf=conf)
    assert str(again.state) == "success"
    assert _messages(pg_dsn, store_schema) == {"processed": 27}


def test_fhir_dag_end_to_end(
    bag: DagBag, airflow_db: None, pg_dsn: str, fhir_server: str, fhir_conn_id: str, store_schema: str, pg_conn_id: str,
    fake_model: str, fake_pipeline: Any,
) -> None:
    now = datetime.now(UTC)
    for i in range(4):
        resource = communication(DemoText(f"c{i}", f"please fix my bill {i}", "portal"), patient_id="p5", when=now)
        httpx.post(f"{fhir_server}/Communication", json=resource, timeout=10).raise_for_status()
    end = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    conf = {"fhir_conn_id": fhir_conn_id, "postgres_conn_id": pg_conn_id, "store_schema": store_schema,
            "model_path": fake_model}
    run = bag.dags["fhir_communication_intake"].test(logical_date=end, run_conf=conf)
    assert str(run.state) == "success"
    assert _messages(pg_dsn, store_schema).get("delivered", 0) >= 4
    resources = _fhir_counts(fhir_server)
    assert resources["Task"] >= 4 and resources["Provenance"] >= 4
    # re-running the same hour creates no row and no FHIR resource
    rows = _messages(pg_dsn, store_schema)
    again = bag.dags["fhir_communication_intake"].test(logical_date=end, run_conf=conf)
    assert str(again.state) == "success"
    assert _messages(pg_dsn, store_schema) == rows
    assert _fhir_counts(fhir_server) == resources
    # write_back switched off: processed, not delivered
    skipped = bag.dags["fhir_communication_intake"].test(
        logical_date=end - timedelta(hours=24), run_conf={**conf, "write_back": False}
    )
    states = {ti.task_id: str(ti.state) for ti in skipped.get_task_instances()}
    assert states["write_back"] == "skipped" and states["record_run"] == "success"
