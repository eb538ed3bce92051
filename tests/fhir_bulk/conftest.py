"""Fixtures for the SMART Backend Services and Bulk Data tests: the local peer
(tests/fhir_peer) with a registered RSA client, and settings for it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from intakeflow.fhir_auth import OAuthSettings, public_jwks
from intakeflow.store import Store
from tests.fhir_peer import CLIENT_ID, KID, PeerClient, PeerConfig, PeerServer, rsa_key_pem


@pytest.fixture
def peer_config() -> PeerConfig:
    return PeerConfig()


@pytest.fixture
def peer(peer_config: PeerConfig) -> Iterator[PeerServer]:
    """The peer with one client, registered with the public JWKS of ``rsa_key_pem()``."""
    with PeerServer(peer_config) as server:
        server.peer.register(PeerClient(CLIENT_ID, jwks=public_jwks(rsa_key_pem(), "RS384", kid=KID)))
        yield server


@pytest.fixture
def smart_settings() -> OAuthSettings:
    return OAuthSettings("smart", CLIENT_ID, private_key_pem=rsa_key_pem(), kid=KID)


@pytest.fixture
def store(pg_dsn: str, store_schema: str) -> Store:
    """A migrated store with the default batch size (an export stages thousands of rows)."""
    s = Store(pg_dsn, schema=store_schema, pipeline_version="test-1")
    s.migrate()
    return s


@pytest.fixture
def make_context() -> Any:
    """The parts of an Airflow task context the operators read (as tests/provider/conftest.py)."""

    def build(run_id: str = "test-run") -> Any:
        return {"run_id": run_id, "ti": SimpleNamespace(task_id="bulk", map_index=-1),
                "data_interval_start": datetime(2026, 3, 4, tzinfo=UTC), "data_interval_end": datetime(2026, 3, 5, tzinfo=UTC)}

    return build
