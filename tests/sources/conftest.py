from __future__ import annotations

from collections.abc import Iterator

import pytest
from fhir_stub import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    server = StubServer().start()
    try:
        yield server
    finally:
        server.stop()
