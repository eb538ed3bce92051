from __future__ import annotations

import pytest

from intakeflow.sinks.pg_store import Store


@pytest.fixture
def store(pg_dsn: str, store_schema: str) -> Store:
    s = Store(pg_dsn, schema=store_schema, pipeline_version="test-1", batch_size=3, max_attempts=3, claim_lease_s=600)
    s.migrate()
    return s
