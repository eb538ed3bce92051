"""Fixtures for the MLLP listener tests: a migrated store in a throw-away schema and a
listener on a free loopback port. Shared fixtures (pg_dsn, store_schema) are in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mllp_peer import ListenerThread

from intakeflow.store import Store

PIPELINE_VERSION = "test-model@1"


@pytest.fixture
def store(pg_dsn: str, store_schema: str) -> Store:
    s = Store(pg_dsn, store_schema, PIPELINE_VERSION)
    s.migrate()
    return s


@pytest.fixture
def listener(store: Store) -> Iterator[ListenerThread]:
    with ListenerThread(store, idle_timeout=30.0, grace=10.0) as running:
        yield running


@pytest.fixture(scope="session")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()
