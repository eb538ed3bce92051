"""The live DAG is event-driven: once unpaused, messages the MLLP listener stages start a run
through the asset watcher (``StagedMessagesTrigger`` in the triggerer) well before the next
5-minute cron tick, and that run processes them."""

from __future__ import annotations

import time

import psycopg
import pytest
from it_support import STORE, store_dsn

from intakeflow.devstack import FINISHED, AirflowStack
from intakeflow.results import InboundMessage
from intakeflow.sinks.pg_store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LIVE_DAG = "hl7_live_intake"


def test_staged_live_messages_start_a_run_at_once(local_airflow: AirflowStack) -> None:
    from intakeflow.models.runtime import DEFAULT_ARTIFACT, artifact_version

    store = Store(store_dsn(local_airflow), schema=STORE, pipeline_version=artifact_version(DEFAULT_ARTIFACT))
    store.migrate()
    local_airflow.wait_for_dag(LIVE_DAG)
    local_airflow.api("PATCH", f"/api/v2/dags/{LIVE_DAG}", {"is_paused": False})
    try:
        def watcher_running() -> bool:
            with psycopg.connect(store_dsn(local_airflow)) as conn:  # the metadata database too
                row = conn.execute("SELECT count(*) FROM trigger WHERE classpath LIKE %s AND triggerer_id IS NOT NULL",
                                   ("%StagedMessagesTrigger",)).fetchone()
            return bool(row and row[0])

        # unpausing starts the latest cron run at once; let it finish so it cannot take our rows
        local_airflow.wait_until("first cron run", lambda: any(
            r["state"] in FINISHED for r in local_airflow.dag_runs(LIVE_DAG)), 180)
        # stage only once the watcher runs and has polled an empty queue at least once, so
        # the event must come from a later poll (the path a live feed takes)
        local_airflow.wait_until("the watcher's trigger assigned to the triggerer", watcher_running, 180)
        time.sleep(20)  # > the trigger's 15 s poll interval
        before = {r["dag_run_id"] for r in local_airflow.dag_runs(LIVE_DAG)}
        staged_at = time.monotonic()
        store.stage([InboundMessage("mllp", f"LIVEFAC|EVT{i}", f"synthetic live note {i}: please call me back")
                     for i in range(3)], "mllp")

        def event_run_done() -> bool:
            new = [r for r in local_airflow.dag_runs(LIVE_DAG) if r["dag_run_id"] not in before]
            return any(r["run_type"] == "asset_triggered" and r["state"] == "success" for r in new)

        # the watcher polls every 15 s; a cron tick alone could be up to 300 s away
        local_airflow.wait_until("an asset-triggered run of the live DAG", event_run_done, 150)
        assert time.monotonic() - staged_at < 150
        assert store.counts()["processed"] == 3
    finally:
        local_airflow.api("PATCH", f"/api/v2/dags/{LIVE_DAG}", {"is_paused": True})
