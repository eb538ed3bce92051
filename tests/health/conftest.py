"""Fixtures of the watchdog tests; store states are built with tests/health_support.py. Shared
fixtures (pg_dsn, store_schema, store) are in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from health_support import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture(scope="session")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()
