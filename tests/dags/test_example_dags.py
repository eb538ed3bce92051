from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import Asset, AssetOrTimeSchedule, CronDataIntervalTimetable

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
    if isinstance(timetable, AssetOrTimeSchedule):  # the live DAG: asset watcher, cron as catch-up
        timetable = timetable.timetable
    assert isinstance(timetable, CronDataIntervalTimetable) and timetable.expression == cron
    assert dag.doc_md and "XCom" in dag.doc_md
    assert {"postgres_conn_id", "store_schema", "batch_size"} <= set(dag.params.keys())
    assert all((t.retries or 0) >= 1 for t in dag.tasks if t.task_id != "wait_for_files")
    # the default store's asset is each processing task's outlet (the schema is a run param)
    assert [a.uri for a in dag.get_task("process").outlets] == ["intakeflow://intakeflow/messages/processed"]


def test_archive_root_default_is_the_airflow_setting(monkeypatch: pytest.MonkeyPatch, bag: DagBag) -> None:
    """docs/run-in-your-airflow.md points the archive DAG at a site's folder with this setting."""
    assert bag.dags["hl7_archive_intake"].params["archive_root"] == "/data/hl7-archive"  # unset: the placeholder
    monkeypatch.setenv("AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT", "/srv/site-archive")
    dag = DagBag(str(DAGS / "hl7_archive_intake.py")).dags["hl7_archive_intake"]
    assert dag.params["archive_root"] == "/srv/site-archive"


def test_live_dag_is_started_by_its_asset_watcher_and_by_the_cron(bag: DagBag) -> None:
    from intakeflow.provider.operators.process import ProcessMessagesOperator
    from intakeflow.provider.triggers.store import StagedMessagesTrigger

    dag = bag.dags["hl7_live_intake"]
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    watched = dag.timetable.asset_condition
    assert isinstance(watched, Asset) and watched.uri == "intakeflow://intakeflow/messages/queued/mllp"
    assert [w.name for w in watched.watchers] == ["intakeflow_mllp_staged"]
    trigger = watched.watchers[0].trigger
    assert isinstance(trigger, StagedMessagesTrigger)
    assert trigger.serialize()[1] == {
        "postgres_conn_id": "intakeflow_postgres", "store_schema": "intakeflow", "sources": ["mllp"],
        "channel": "intakeflow_staged", "recheck_s": 5.0, "stale_after_s": 5.0, "min_interval_s": 5.0,
        "max_backoff_s": 60.0}
    assert isinstance(dag.timetable.timetable, CronDataIntervalTimetable)
    assert dag.timetable.timetable.expression == "*/5 * * * *"
    assert dag.max_active_runs == 1
    process = dag.get_task("process")
    assert isinstance(process, ProcessMessagesOperator)
    assert (process.linger_s, process.max_run_s, process.notify_channel, process.workers, process.batch_size) == (
        "{{ params.linger_s }}", "{{ params.max_run_s }}", "{{ params.notify_channel }}", "{{ params.workers }}",
        "{{ params.batch_size }}")
    assert (dag.params["linger_s"], dag.params["max_run_s"], dag.params["notify_channel"]) == (
        300, 3300, "intakeflow_staged")
    # small batches, two at once: a message waits behind a third of a second of work, not seconds
    assert (dag.params["batch_size"], dag.params["workers"]) == (16, 2)
    # the lingering run ends before the task's time limit, and the run's
    assert process.execution_timeout is not None and dag.params["max_run_s"] + 60 < process.execution_timeout.total_seconds()
    assert dag.dagrun_timeout is not None and process.execution_timeout < dag.dagrun_timeout


def test_live_watcher_store_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"CONN_ID": "other_pg", "SCHEMA": "ward_store", "SOURCES": "mllp:ward, mllp:lab",
                       "CHANNEL": "ward_staged", "LINGER_S": "20"}.items():
        monkeypatch.setenv(f"INTAKEFLOW_LIVE_{key}", value)
    dag = DagBag(str(DAGS)).dags["hl7_live_intake"]  # parsed again: the file reads them at parse time
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    watched = dag.timetable.asset_condition
    assert isinstance(watched, Asset) and watched.uri == "intakeflow://ward_store/messages/queued/mllp"
    kwargs = watched.watchers[0].trigger.serialize()[1]
    assert (kwargs["postgres_conn_id"], kwargs["store_schema"], kwargs["sources"], kwargs["channel"]) == (
        "other_pg", "ward_store", ["mllp:ward", "mllp:lab"], "ward_staged")
    # a run the watcher starts processes the store the watcher watches
    assert (dag.params["postgres_conn_id"], dag.params["store_schema"], dag.params["notify_channel"]) == (
        "other_pg", "ward_store", "ward_staged")
    assert dag.params["linger_s"] == 20


def test_live_watcher_trigger_is_kept_across_parses_and_dropped_while_paused(airflow_db: None) -> None:
    """What the DAG processor does with the watcher's trigger row (Airflow 3.3): none while
    the DAG is paused, one once unpaused, the same row (not restarted) at every later parse,
    unreferenced again once paused (the triggerer then cancels and deletes it: a restart
    later, which is why the trigger looks at the queue whenever it starts)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
    from airflow.models.dag import DagModel
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select, update

    classpath = "intakeflow.provider.triggers.store.StagedMessagesTrigger"
    # parse the DAG folder as dag.test() and the DAG processor do (its bundle), so the rows
    # written are the ones the other tests' runs use
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bundle = manager.get_bundle("dags-folder")
    if not bundle.is_initialized:
        bundle.initialize()
    bundle_bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)

    def parse() -> list[tuple[int, bool]]:
        with create_session() as session:
            sync_bag_to_db(bundle_bag, bundle.name, bundle.version, session=session)
        with create_session() as session:
            return [(t.id, bool(t.assets)) for t in session.scalars(select(Trigger).where(Trigger.classpath == classpath))]

    def pause(paused: bool) -> None:
        with create_session() as session:
            session.execute(update(DagModel).where(DagModel.dag_id == "hl7_live_intake").values(is_paused=paused))

    with create_session() as session:
        session.execute(delete(Trigger).where(Trigger.classpath == classpath))
    pause(True)
    try:
        assert parse() == []
        pause(False)
        first = parse()
        assert len(first) == 1 and first[0][1]
        assert parse() == first and parse() == first  # same row: the running trigger is left alone
        pause(True)
        assert parse() == [(first[0][0], False)]  # no asset refers to it any more
        with create_session() as session:
            Trigger.clean_unused(session=session)  # the triggerer's clean-up loop
        assert parse() == []
    finally:
        pause(True)


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
