from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk import DAG

from intakeflow.errors import SinkError
from intakeflow.provider.operators.store import MigrateStoreOperator, RecordRunOperator, merge_counts
from intakeflow.store import Store


def test_merge_counts_sums_flat_and_nested_and_skips_none() -> None:
    merged = merge_counts([
        {"staged": 2, "intents": {"a": 1}, "flag": True},
        None,
        {"staged": 3, "intents": {"a": 2, "b": 1}, "note": "x"},
    ])
    assert merged == {"staged": 5, "intents": {"a": 3, "b": 1}}


def test_migrate_then_record_run(pg_dsn: str, pg_conn_id: str, store_schema: str, make_context: Any) -> None:
    first = MigrateStoreOperator(task_id="m", postgres_conn_id=pg_conn_id, store_schema=store_schema).execute(make_context())
    assert first  # versions applied on an empty schema
    assert MigrateStoreOperator(task_id="m", postgres_conn_id=pg_conn_id, store_schema=store_schema).execute(
        make_context()
    ) == []
    with DAG("d", schedule=None):
        op = RecordRunOperator(
            task_id="r", postgres_conn_id=pg_conn_id, store_schema=store_schema,
            stages={"stage": [{"staged": 2}, {"staged": 1}, None], "process": {"processed": 3, "timings_ms": {"model": 4.5}}},
        )
    stats = op.execute(make_context(run_id="run-1"))
    assert stats == {"stage": {"staged": 3}, "process": {"processed": 3}}
    row = Store(pg_dsn, schema=store_schema).run_stats("run-1", "d")
    assert row is not None
    assert row["counts"] == stats and row["timings_ms"] == {"process.model": 4.5}


def test_unreachable_store_fails_the_task_with_one_coded_line(make_context: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """No psycopg traceback or libpq text (host, user); an ordinary exception, so Airflow retries."""
    monkeypatch.setenv("AIRFLOW_CONN_DOWN_PG", json.dumps(
        {"conn_type": "postgres", "host": "postgresql://secretuser@127.0.0.1:1/test?connect_timeout=2"}))
    with pytest.raises(SinkError) as failed:
        MigrateStoreOperator(task_id="m", postgres_conn_id="down_pg", store_schema="s").execute(make_context())
    assert str(failed.value) == "E051: PostgreSQL store unreachable (OperationalError)"
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    assert "secretuser" not in str(failed.value)
