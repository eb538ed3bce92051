from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk import Connection
from psycopg.conninfo import conninfo_to_dict

from intakeflow.errors import IntakeflowError
from intakeflow.provider.hooks.store import StoreHook, dsn_from_connection


def conn(**kw: Any) -> Connection:
    return Connection(conn_id="p", conn_type="postgres", extra=json.dumps(kw.pop("extra", {})), **kw)


def test_dsn_from_fields_keeps_only_libpq_extras() -> None:
    dsn = dsn_from_connection(conn(
        host="db.internal", port=5433, login="u", password="p w", schema="intake",
        extra={"sslmode": "verify-full", "cursor": "named", "connect_timeout": 5},
    ))
    assert conninfo_to_dict(dsn) == {
        "host": "db.internal", "port": "5433", "user": "u", "password": "p w", "dbname": "intake",
        "sslmode": "verify-full", "connect_timeout": "5",
    }


def test_dsn_uri_host_passes_through() -> None:
    assert dsn_from_connection(conn(host="postgresql://u@h:1/d")) == "postgresql://u@h:1/d"


def test_dsn_needs_a_host() -> None:
    with pytest.raises(IntakeflowError, match="E050"):
        dsn_from_connection(conn(schema="d"))


def test_store_carries_schema_and_version(pg_conn_id: str) -> None:
    store = StoreHook(pg_conn_id).get_store(schema="abc", pipeline_version="m@1", batch_size=7)
    assert (store.schema, store.pipeline_version, store.batch_size) == ("abc", "m@1", 7)


def test_test_connection_positive(pg_conn_id: str) -> None:
    ok, message = StoreHook(pg_conn_id).test_connection()
    assert ok and message.startswith("PostgreSQL ")


def test_test_connection_negative(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = {"conn_type": "postgres", "host": "127.0.0.1", "port": 9, "extra": {"connect_timeout": 2}}
    monkeypatch.setenv("AIRFLOW_CONN_DEAD_PG", json.dumps(dead))
    ok, message = StoreHook("dead_pg").test_connection()
    assert not ok and "OperationalError" in message
