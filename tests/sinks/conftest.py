from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from pg_env import DSN
from psycopg import sql

from intakeflow.sinks.pg_store import Store


def _reachable() -> bool:
    try:
        with psycopg.connect(DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture
def schema() -> Iterator[str]:
    if not _reachable():
        pytest.skip("PostgreSQL test database not reachable")
    name = f"ift_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
def store(schema: str) -> Store:
    s = Store(DSN, schema=schema, pipeline_version="test-1", batch_size=3, max_attempts=3, claim_lease_s=600)
    s.migrate()
    return s
