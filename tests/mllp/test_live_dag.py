"""The live feed end to end: MLLP listener -> staging -> ``hl7_live_intake`` DAG (real
Airflow ``dag.test()``, fake pipeline), in small batches and only for the MLLP source."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from airflow.dag_processing.dagbag import DagBag
from mllp_peer import ListenerThread, Peer, message

from intakeflow.sources.hl7_parse import parse_hl7
from intakeflow.store import Store

DAGS = Path(__file__).parents[2] / "dags"


def _status(pg_dsn: str, schema: str) -> dict[tuple[str, str], int]:
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(f'SELECT source, status, count(*) FROM "{schema}".messages GROUP BY 1, 2').fetchall()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def test_live_dag_processes_the_mllp_feed_in_small_batches(
    airflow_db: None, pg_dsn: str, store_schema: str, pg_conn_id: str, fake_model: str, fake_pipeline: Any
) -> None:
    store = Store(pg_dsn, store_schema, fake_pipeline.version)
    store.migrate()
    with ListenerThread(store) as running, Peer(running.port) as peer:
        codes = [peer.send(message(f"LIVE-{i}", f"question about my bill {i}")).code for i in range(5)]
        codes.append(peer.send(message("LIVE-X", None)).code)
    assert codes == ["AA"] * 5 + ["AE"]
    archived = parse_hl7(message("ARCH-1").encode(), "2024/03/01/feed.hl7#1")
    store.stage([archived], "archive-run")  # an archive row: not the live DAG's to process

    dag = DagBag(str(DAGS)).dags["hl7_live_intake"]
    conf = {"postgres_conn_id": pg_conn_id, "store_schema": store_schema, "model_path": fake_model, "batch_size": 2,
            "linger_s": 0}
    when = datetime(2024, 3, 1, 12, 5, tzinfo=UTC)
    small = dag.test(logical_date=when, run_conf={**conf, "max_batches": 1})
    assert str(small.state) == "success"
    assert _status(pg_dsn, store_schema) == {("mllp", "processed"): 2, ("mllp", "received"): 3, ("hl7v2", "received"): 1}

    rest = dag.test(logical_date=when + timedelta(minutes=5), run_conf={**conf, "max_batches": 20})
    assert str(rest.state) == "success"
    assert {ti.task_id: str(ti.state) for ti in rest.get_task_instances()} == {
        "migrate_store": "success", "process": "success", "record_run": "success"}
    assert _status(pg_dsn, store_schema) == {("mllp", "processed"): 5, ("hl7v2", "received"): 1}
    stats = store.run_stats(rest.run_id, "hl7_live_intake")
    assert stats is not None and stats["counts"]["process"]["processed"] == 3
