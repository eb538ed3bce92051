from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from airflow.sdk import Connection

from intakeflow.errors import IntakeflowError
from intakeflow.provider.hooks.anthropic import AnthropicHook, settings_from_connection


class _Models(BaseHTTPRequestHandler):
    """Answers GET /v1/models/<id> for one known model id, 404 otherwise."""

    known = "test-model-1"

    def do_GET(self) -> None:
        if self.path.rstrip("/") == f"/v1/models/{self.known}":
            body = json.dumps({"id": self.known, "type": "model", "display_name": "t", "created_at": "2024-01-01T00:00:00Z"})
            self.send_response(200)
        else:
            body = json.dumps({"type": "error", "error": {"type": "not_found_error", "message": "no"}})
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def models_api() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def conn(**kw: Any) -> Connection:
    return Connection(conn_id="a", conn_type="anthropic", extra=json.dumps(kw.pop("extra", {})), **kw)


def test_settings_read_key_model_and_base_url() -> None:
    s = settings_from_connection(conn(password="sk-secret", extra={"model": "m", "base_url": "http://x", "timeout": 5}))
    assert (s.api_key, s.model, s.base_url, s.timeout_s) == ("sk-secret", "m", "http://x", 5.0)
    assert "sk-secret" not in repr(s)


def test_settings_need_an_api_key() -> None:
    with pytest.raises(IntakeflowError, match="API key"):
        settings_from_connection(conn(extra={"model": "m"}))


def _use(monkeypatch: pytest.MonkeyPatch, **conn_kw: Any) -> AnthropicHook:
    monkeypatch.setenv("AIRFLOW_CONN_TEST_ANTHROPIC", json.dumps({"conn_type": "anthropic", **conn_kw}))
    return AnthropicHook("test_anthropic")


def test_test_connection_finds_the_model(monkeypatch: pytest.MonkeyPatch, models_api: str) -> None:
    hook = _use(monkeypatch, password="k", extra={"model": _Models.known, "base_url": models_api})
    ok, message = hook.test_connection()
    assert ok, message
    assert _Models.known in message


@pytest.mark.parametrize(
    ("extra", "expected"),
    [({"model": "missing-model"}, "NotFoundError"), ({}, "'model' is not set")],
)
def test_test_connection_failures(
    monkeypatch: pytest.MonkeyPatch, models_api: str, extra: dict[str, str], expected: str
) -> None:
    hook = _use(monkeypatch, password="k", extra={**extra, "base_url": models_api})
    ok, message = hook.test_connection()
    assert not ok
    assert expected in message


def test_fallback_config_is_switched_on_with_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from intakeflow.pipeline.fallback import FallbackConfig

    base = FallbackConfig(max_calls=7)
    assert base.enabled is False
    cfg = _use(monkeypatch, password="k-123", extra={"base_url": "http://gw", "timeout": 9}).fallback_config(base)
    assert (cfg.enabled, cfg.api_key, cfg.model, cfg.base_url, cfg.timeout_s, cfg.max_calls) == (
        True, "k-123", base.model, "http://gw", 9.0, 7,
    )
    assert "k-123" not in repr(cfg)
