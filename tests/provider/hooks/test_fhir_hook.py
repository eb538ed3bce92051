from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk import Connection

from intakeflow.errors import IntakeflowError
from intakeflow.provider.hooks.fhir import FhirHook, base_url_from, settings_from_connection


def conn(**kw: Any) -> Connection:
    extra = kw.pop("extra", {})
    return Connection(conn_id="c", conn_type="fhir", extra=json.dumps(extra), **kw)


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("https://fhir.example.org/r4/", None, "https://fhir.example.org/r4"),
        ("fhir.example.org/r4", None, "https://fhir.example.org/r4"),
        ("http://127.0.0.1/fhir", 8080, "http://127.0.0.1:8080/fhir"),
        ("http://127.0.0.1:9000/fhir", 8080, "http://127.0.0.1:9000/fhir"),
    ],
)
def test_base_url(host: str, port: int | None, expected: str) -> None:
    assert base_url_from(host, port) == expected


@pytest.mark.parametrize("host", [None, "", "ftp://x.org/fhir", "https://"])
def test_base_url_rejects(host: str | None) -> None:
    with pytest.raises(IntakeflowError, match="E050"):
        base_url_from(host, None)


def test_settings_none_auth_verifies_tls_by_default() -> None:
    s = settings_from_connection(conn(host="https://f.example/r4"))
    assert (s.auth.kind, s.verify, s.timeout_s) == ("none", True, 30.0)


def test_settings_basic_and_bearer() -> None:
    basic = settings_from_connection(conn(host="f.example", login="u", password="pw", extra={"auth_type": "basic"}))
    assert (basic.auth.kind, basic.auth.username, basic.auth.password) == ("basic", "u", "pw")
    bearer = settings_from_connection(conn(host="f.example", password="tok", extra={"auth_type": "BEARER"}))
    assert (bearer.auth.kind, bearer.auth.token) == ("bearer", "tok")
    assert "tok" not in repr(bearer) and "pw" not in repr(basic)


def test_settings_tls_and_timeout_extras() -> None:
    s = settings_from_connection(conn(host="f.example", extra={"verify": "false", "timeout": "5"}))
    assert (s.verify, s.timeout_s) == (False, 5.0)
    ca = settings_from_connection(conn(host="f.example", extra={"ca_bundle": "/etc/ca.pem"}))
    assert ca.verify == "/etc/ca.pem"


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"extra": {"auth_type": "digest"}}, "auth_type"),
        ({"extra": {"auth_type": "basic"}, "password": "x"}, "login"),
        ({"extra": {"auth_type": "bearer"}}, "password"),
        ({"extra": {"verify": "maybe"}}, "verify"),
        ({"extra": {"timeout": "-1"}}, "timeout"),
    ],
)
def test_settings_reject_bad_connections(kw: dict[str, Any], why: str) -> None:
    with pytest.raises(IntakeflowError, match=why):
        settings_from_connection(conn(host="f.example", **kw))


def test_hook_class_attributes() -> None:
    assert (FhirHook.conn_type, FhirHook.conn_name_attr, FhirHook.default_conn_name) == (
        "fhir", "fhir_conn_id", "fhir_default",
    )


def test_test_connection_reads_capability_statement(fhir_conn_id: str) -> None:
    ok, message = FhirHook(fhir_conn_id).test_connection()
    assert ok, message
    assert message.startswith("FHIR 4.")


def test_test_connection_reports_unreachable_server(monkeypatch: pytest.MonkeyPatch) -> None:
    # port 9 (discard) on localhost is closed: the client gives up after its retries
    monkeypatch.setenv("AIRFLOW_CONN_DEAD_FHIR", json.dumps({"conn_type": "fhir", "host": "http://127.0.0.1:9/fhir"}))
    hook = FhirHook("dead_fhir", timeout_s=1.0)
    ok, message = hook.test_connection()
    assert not ok
    assert "E034" in message
