"""Fixtures for running the example DAGs with real Airflow (``dag.test()``). Shared fixtures
(PostgreSQL, FHIR server, fake model and pipeline) live in tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def airflow_db() -> None:
    from airflow.utils.db import initdb

    initdb()
