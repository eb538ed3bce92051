from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient
from seed_store import DAG_A, RUN_A, TEXT_MARK, Seeded

from intakeflow.plugins.monitoring.app import create_app, parse_period

pytestmark = pytest.mark.integration


def _allow(request: Request) -> None:
    return None


def _client(seeded: Seeded, *deps: object) -> TestClient:
    app = create_app(lambda: seeded.store.dsn, [seeded.store.schema, "other_store"], dependencies=deps or (_allow,))
    return TestClient(app)


def test_dashboard_page_has_charts_and_figures_but_no_text(seeded: Seeded) -> None:
    resp = _client(seeded).get("/", params={"dag_id": DAG_A})
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-store"
    page = resp.text
    assert page.count("<svg") >= 6
    assert '<div class="card" data-figure="processed"><b>4</b>' in page
    assert '<div class="card" data-figure="needs-review"><b>50.0%</b>' in page
    assert "run?dag_id=hl7_archive_intake&amp;run_id=scheduled__2024-03-01T00%3A00%3A00%2B00%3A00" in page
    assert TEXT_MARK not in page


def test_api_dashboard_matches_the_page_filters(seeded: Seeded) -> None:
    start = (seeded.started - timedelta(minutes=5)).isoformat()
    body = _client(seeded).get("/api/dashboard", params={"dag_id": DAG_A, "start": start}).json()
    assert body["totals"]["processed"] == 4 and body["filters"]["dag_id"] == DAG_A
    assert body["dags"] == sorted(["hl7_archive_intake", "fhir_communication_intake", "hl7_live_intake"])
    assert TEXT_MARK not in str(body)


def test_run_page_lists_the_quarantine_without_text(seeded: Seeded) -> None:
    client = _client(seeded)
    page = client.get("/run", params={"dag_id": DAG_A, "run_id": RUN_A}).text
    assert "Quarantine (2)" in page and "E020" in page and "E001" in page
    assert TEXT_MARK not in page
    body = client.get("/api/run", params={"dag_id": DAG_A, "run_id": RUN_A}).json()
    assert body["quarantine_total"] == 2 and TEXT_MARK not in str(body)


@pytest.mark.parametrize(("params", "why"), [
    ({"start": "yesterday"}, "ISO 8601"),
    ({"start": "2024-03-02T00:00", "end": "2024-03-01T00:00"}, "after start"),
    ({"start": "2020-01-01T00:00", "end": "2024-01-01T00:00"}, "at most"),
    ({"schema": "not_offered"}, "unknown store"),
])
def test_bad_filters_get_a_clear_400(seeded: Seeded, params: dict[str, str], why: str) -> None:
    resp = _client(seeded).get("/api/dashboard", params=params)
    assert resp.status_code == 400 and why in resp.json()["detail"]


def test_guard_dependency_decides_access(seeded: Seeded) -> None:
    def deny(request: Request) -> None:
        raise HTTPException(401, "Not authenticated")

    client = _client(seeded, deny)
    for path in ("/", "/api/dashboard", f"/run?dag_id={DAG_A}&run_id=x", f"/api/run?dag_id={DAG_A}&run_id=x"):
        assert client.get(path).status_code == 401


def test_unreachable_store_is_503_without_the_dsn() -> None:
    app = create_app(lambda: "postgresql://svc:s3cret-pw@127.0.0.1:1/none", ["intakeflow"], dependencies=[_allow])
    resp = TestClient(app).get("/api/dashboard")
    assert resp.status_code == 503
    assert "s3cret" not in resp.text and "OperationalError" in resp.text


def test_period_defaults_to_the_last_day_and_naive_times_are_utc() -> None:
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert parse_period(None, None, None, now) == (now - timedelta(hours=24), now)
    assert parse_period("2026-01-01T08:00", None, None, now)[0] == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert parse_period(None, None, 3, now)[0] == now - timedelta(hours=3)
