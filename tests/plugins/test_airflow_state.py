"""The plugin's view of Airflow's metadata database (``intakeflow.plugins.airflow_state``) on a
real, freshly migrated Airflow database (SQLite, as tests/conftest.py configures it) holding
the example DAGs and the run a user gets by unpausing ``hl7_archive_intake`` with its default
``archive_root``: the sensor deferred, waiting for a folder that does not exist."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from intakeflow.plugins.airflow_state import MetadataDbView

DAGS = Path(__file__).resolve().parents[2] / "dags"
DAG_ID, RUN_ID = "hl7_archive_intake", f"scheduled__test-{uuid.uuid4().hex[:8]}"
DEFAULT_ROOT = "/data/hl7-archive"
SINCE = datetime(2026, 1, 2, 0, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def waiting_run() -> Iterator[None]:
    from airflow.dag_processing.dagbag import DagBag, sync_bag_to_db
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.dagrun import DagRun
    from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
    from airflow.models.taskinstance import TaskInstance as TI
    from airflow.utils.db import initdb
    from airflow.utils.session import create_session
    from sqlalchemy import delete, insert

    initdb()
    bag = DagBag(str(DAGS))
    assert bag.import_errors == {}
    with create_session() as session:  # the bundle the DAGs are filed under (the dag processor adds it)
        session.merge(DagBundleModel(name="dags-folder"))
    sync_bag_to_db(bag, "dags-folder", None)
    ti = {"dag_id": DAG_ID, "run_id": RUN_ID, "map_index": -1}
    with create_session() as session:
        session.execute(insert(DagRun.__table__).values(
            dag_id=DAG_ID, run_id=RUN_ID, run_type="scheduled", state="running",
            data_interval_start=datetime(2026, 1, 1, tzinfo=UTC), data_interval_end=datetime(2026, 1, 2, tzinfo=UTC)))
        session.execute(insert(TI.__table__).values([
            {**ti, "id": uuid.uuid4(), "task_id": "migrate_store", "state": "success", "pool": "default_pool",
             "pool_slots": 1, "try_number": 1, "operator": "MigrateStoreOperator", "start_date": SINCE,
             "end_date": SINCE + timedelta(seconds=3), "trigger_timeout": None},
            {**ti, "id": uuid.uuid4(), "task_id": "wait_for_files", "state": "deferred", "pool": "default_pool",
             "pool_slots": 1, "try_number": 1, "operator": "Hl7ArchiveSensor", "start_date": SINCE,
             "end_date": None, "trigger_timeout": SINCE + timedelta(hours=6)},
        ]))
        session.execute(insert(RTIF.__table__).values(
            **ti, task_id="wait_for_files", rendered_fields={"archive_root": DEFAULT_ROOT, "start": None, "end": None,
                                                        "headers": "Authorization: Bearer t0ken"}))
    yield
    with create_session() as session:
        for model in (RTIF, TI, DagRun):
            session.execute(delete(model).where(model.dag_id == DAG_ID, model.run_id == RUN_ID))


def test_a_deferred_archive_sensor_is_a_wait_with_its_path(waiting_run: None) -> None:
    (wait,) = [w for w in MetadataDbView().waits(None) if w.run_id == RUN_ID]
    assert (wait.task_id, wait.state, wait.operator, wait.archive_root) == (
        "wait_for_files", "deferred", "Hl7ArchiveSensor", DEFAULT_ROOT)
    assert wait.since == SINCE and wait.until == SINCE + timedelta(hours=6)
    assert wait.day_folders() == [f"{DEFAULT_ROOT}/2026/01/01"]
    assert wait.rendered == {"archive_root": DEFAULT_ROOT}  # only the fields the page reads, and strings
    assert [w for w in MetadataDbView().waits("fhir_communication_intake") if w.run_id == RUN_ID] == []


def test_run_lists_its_task_instances_and_dags_their_param_defaults(waiting_run: None) -> None:
    view = MetadataDbView()
    run = view.run(DAG_ID, RUN_ID)
    assert run is not None and run.state == "running"
    assert [(t.task_id, t.state) for t in run.tasks] == [("migrate_store", "success"), ("wait_for_files", "deferred")]
    assert view.run(DAG_ID, "no-such-run") is None
    dags = {d.dag_id: d for d in view.dags()}
    assert set(dags) == {"fhir_communication_intake", "hl7_archive_intake", "hl7_live_intake", "intakeflow_watchdog"}
    assert dags[DAG_ID].params["archive_root"] == DEFAULT_ROOT and dags[DAG_ID].params["write_back"] is False


def test_the_page_on_an_empty_store_names_the_waiting_run(waiting_run: None, pg_dsn: str, store_schema: str) -> None:
    from intakeflow.plugins.monitoring.app import create_app

    def allow(request: Request) -> None:
        return None

    app = create_app(lambda: pg_dsn, [store_schema], dependencies=[allow], airflow=MetadataDbView(),
                     store_conn_id="intakeflow_postgres", archive_default=DEFAULT_ROOT,
                     folder_exists=lambda path: False)
    page = TestClient(app).get("/").text
    assert "nothing to show yet" in page and "Waiting for input (1)" in page
    assert f"<code>{DEFAULT_ROOT}/2026/01/01</code>" in page and "does not exist" in page
    assert "2026-01-02 06:05:00" in page  # when the sensor gives up
