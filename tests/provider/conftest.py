"""Fixtures for the operator unit tests: the parts of an Airflow task context they read.
Shared fixtures (PostgreSQL, FHIR server, fake model and pipeline) live in tests/conftest.py."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest


def task_context(
    start: datetime = datetime(2024, 3, 4, tzinfo=UTC),
    end: datetime = datetime(2024, 3, 5, tzinfo=UTC),
    run_id: str = "test-run",
    task_id: str = "t",
    map_index: int = -1,
) -> Any:
    """The parts of an Airflow context the intakeflow operators read."""
    return {
        "run_id": run_id,
        "ti": SimpleNamespace(task_id=task_id, map_index=map_index),
        "data_interval_start": start,
        "data_interval_end": end,
    }


@pytest.fixture
def context() -> Any:
    return task_context()


@pytest.fixture
def make_context() -> Any:
    return task_context
