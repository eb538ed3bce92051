"""Fixtures of the monitoring tests; the seeded data is described in seed_store.py."""

from __future__ import annotations

import pytest
from seed_store import Seeded, seed


@pytest.fixture
def seeded(pg_dsn: str, store_schema: str) -> Seeded:
    return seed(pg_dsn, store_schema)
