"""Fixtures: a fake Messages API server per test and a config pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fake_anthropic import API_KEY, FakeAnthropic

from intakeflow.pipeline.fallback import FallbackConfig


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    server = FakeAnthropic()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def make_config(fake: FakeAnthropic) -> Any:
    def build(**kw: Any) -> FallbackConfig:
        base: dict[str, Any] = {
            "enabled": True,
            "api_key": API_KEY,
            "base_url": fake.url,
            "timeout_s": 2.0,
            "max_retries": 0,
        }
        base.update(kw)
        return FallbackConfig(**base)

    return build
