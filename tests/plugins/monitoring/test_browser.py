"""The message browser: search (filters, counts, pages), one message's history with its
redacted text, the reprocess button and endpoint (edit permission, same-origin, one audit
row per form however often it is sent), the audit page, the refresh script, and that no
gold PHI string of the test data reaches any page or JSON answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from page_reader import PageReader
from psycopg import sql
from seed_store import DAG_A, DAG_B, DAG_LIVE, EXPECTED_CHANNELS, PIPELINE_VERSION, RUN_A, TEXT_MARK, Seeded

from intakeflow.plugins.monitoring.airflow_view import RunState, TaskRun
from intakeflow.plugins.monitoring.app import create_app
from intakeflow.plugins.monitoring.queries import CHANNEL_STATES
from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.spans import Span
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import RunRef

pytestmark = pytest.mark.integration

ORIGIN = {"Origin": "http://testserver"}
RUN_BROWSE = "manual__2026-01-05T10:00:00+00:00"
#: a message with identifiers; the store keeps its inbound text (store_raw), the page must not show it
GOLD_TEXT = "Hi, this is Zelda Quarrington, DOB 04/17/1961, MRN 7654321, call me at (617) 555-0143 about my bill"
GOLD_PHI = ("Zelda Quarrington", "04/17/1961", "7654321", "(617) 555-0143")
GOLD_REDACTED = "Hi, this is [NAME], DOB [DATE], MRN [MRN], call me at [PHONE] about my bill"
#: who may edit which DAG (None: DAGs in general), by the user name a test sends
EDITS: dict[str, set[str | None]] = {
    "viewer": set(), "editor": {DAG_A, DAG_B, DAG_LIVE, None}, "b-editor": {DAG_B},
}


@dataclass(frozen=True)
class FakeActor:
    name: str
    dags: set[str | None] = field(default_factory=set)

    def can_edit(self, dag_id: str | None) -> bool:
        return dag_id in self.dags


def actor_from_header(request: Request) -> FakeActor:
    name = request.headers.get("X-Test-User", "viewer")
    return FakeActor(name, EDITS.get(name, set()))


@dataclass
class FakeAirflow:
    runs: dict[tuple[str, str], RunState] = field(default_factory=dict)

    def run(self, dag_id: str, run_id: str) -> RunState | None:
        return self.runs.get((dag_id, run_id))

    def waits(self, dag_id: str | None) -> list[Any]:
        return []

    def dags(self) -> list[Any]:
        return []


@dataclass(frozen=True)
class Browsable:
    seeded: Seeded
    #: quarantined, its inbound text kept: can be reprocessed
    quarantined: int
    #: processed from GOLD_TEXT: its redacted text is shown
    gold: int
    #: same control id as ``quarantined``, another facility
    other_facility: int


@pytest.fixture
def browsable(seeded: Seeded) -> Browsable:
    """The seeded store plus a run of DAG A that staged two HL7 messages keyed by facility and
    control id (MSH-4|MSH-10) with the store keeping inbound text: one quarantined (E003),
    one processed from a text with identifiers."""
    store = Store(seeded.store.dsn, schema=seeded.store.schema, pipeline_version=PIPELINE_VERSION, store_raw=True)
    store.stage([InboundMessage("hl7v2", "DEMOFAC|CTRL-123", GOLD_TEXT, channel="note"),
                 InboundMessage("hl7v2", "OTHERFAC|CTRL-123", f"{GOLD_TEXT} again", channel="note")], RUN_BROWSE, DAG_A)
    batch = sorted(store.claim(10, f"{RUN_BROWSE}:process:-1", ["hl7v2"]), key=lambda m: m.id)
    assert [m.source_id for m in batch] == ["DEMOFAC|CTRL-123", "OTHERFAC|CTRL-123"]
    bad = PipelineResult(id=str(batch[0].id), error_code="E003", error="E003: the message is not text")
    good = PipelineResult(id=str(batch[1].id), intent="billing_inquiry", intent_confidence=0.93, needs_review=False,
                          queue="billing", phi=[Span(12, 29, "NAME")], redacted_text=GOLD_REDACTED,
                          timings_ms={"model": 2.0}, pipeline_version=PIPELINE_VERSION)
    store.save_results([(batch[0], bad), (batch[1], good)], RunRef(DAG_A, RUN_BROWSE))
    return Browsable(seeded, batch[0].id, batch[1].id, batch[1].id)


def _client(seeded: Seeded, airflow: FakeAirflow | None = None) -> TestClient:
    app = create_app(lambda: seeded.store.dsn, [seeded.store.schema], dependencies=[lambda: None], airflow=airflow,
                     actor=actor_from_header)
    return TestClient(app)


def _as(user: str) -> dict[str, str]:
    return {"X-Test-User": user, **ORIGIN}


def _scalar(seeded: Seeded, query: str, *params: Any) -> Any:
    with psycopg.connect(seeded.store.dsn) as conn:
        row = conn.execute(sql.SQL(query).format(sql.Identifier(seeded.store.schema)), params).fetchone()
    return row[0] if row else None


def _request_id(page: str) -> str:
    marker = 'name="request_id" value="'
    start = page.index(marker) + len(marker)
    return page[start:page.index('"', start)]


# -- search -------------------------------------------------------------------------------------


def test_search_counts_are_the_dashboards_channel_figures(seeded: Seeded) -> None:
    """Every input, each in the state the channel table gives it: for the same period the
    search's counts per status are the dashboard's columns."""
    client = _client(seeded)
    start = (seeded.started - timedelta(minutes=5)).isoformat()
    body = client.get("/api/messages", params={"start": start}).json()
    expected = {s: sum(row[s] for row in EXPECTED_CHANNELS.values()) for s in CHANNEL_STATES}
    assert body["counts"] == expected and body["total"] == sum(expected.values()) == 13
    board = client.get("/api/dashboard", params={"start": start}).json()
    assert {s: board["totals"][s] for s in CHANNEL_STATES} == body["counts"]
    kinds = {r["kind"] for r in body["results"]}
    assert kinds == {"message", "rejected", "filtered"}
    # newest first
    seen = [r["seen_at"] for r in body["results"]]
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(("params", "expected"), [
    ({"status": "quarantined"}, {("message", "E001"), ("rejected", "E020"), ("message", "E003")}),
    ({"code": "E020"}, {("rejected", "E020")}),
    ({"status": "filtered"}, {("filtered", "adt-without-text")}),
    ({"status": "failed", "source": "fhir"}, {("message", "E007")}),
    ({"control_id": "CTRL-123"}, {("message", "E003"), ("message", None)}),
    ({"control_id": "DEMOFAC|CTRL-123"}, {("message", "E003")}),
    ({"control_id": "NOFAC|CTRL-123"}, set()),
])
def test_search_filters(browsable: Browsable, params: dict[str, str], expected: set[tuple[str, str | None]]) -> None:
    body = _client(browsable.seeded).get("/api/messages", params=params).json()
    assert {(r["kind"], r["code"]) for r in body["results"]} == expected
    assert body["total"] == len(body["results"])


def test_search_by_source_dag_and_period(browsable: Browsable) -> None:
    client = _client(browsable.seeded)
    fhir = client.get("/api/messages", params={"source": "fhir"}).json()
    assert fhir["total"] == 4 and {r["source"] for r in fhir["results"]} == {"fhir"}
    # a DAG's messages: those its runs staged or processed (the listener's, for the live DAG)
    live = client.get("/api/messages", params={"dag_id": DAG_LIVE}).json()
    assert [(r["source"], r["state"]) for r in live["results"]] == [("mllp", "processed")]
    assert client.get("/api/messages", params={"dag_id": DAG_B}).json()["total"] == 4
    later = (browsable.seeded.started + timedelta(hours=1)).isoformat()
    assert client.get("/api/messages", params={"start": later}).json()["total"] == 0
    earlier = (browsable.seeded.started - timedelta(hours=1)).isoformat()
    assert client.get("/api/messages", params={"end": earlier}).json()["total"] == 0


def test_search_pages_newest_first_without_overlap(browsable: Browsable) -> None:
    client = _client(browsable.seeded)
    everything = client.get("/api/messages", params={"per_page": 200}).json()
    assert everything["total"] == 15 and everything["pages"] == 1
    pages = [client.get("/api/messages", params={"per_page": 4, "page": n}).json() for n in (1, 2, 3, 4, 5)]
    assert [p["pages"] for p in pages] == [4] * 5 and all(p["total"] == 15 for p in pages)
    ids = [(r["kind"], r["id"]) for p in pages for r in p["results"]]
    assert ids == [(r["kind"], r["id"]) for r in everything["results"]]
    assert pages[-1]["results"] == []  # past the end: empty, still counted
    # the page: links to the next page, the counts per status, a link per message row only
    page = PageReader(client.get("/messages", params={"per_page": 4, "page": 2}).text)
    assert any("page=3" in link for link in page.links) and any("page=1" in link for link in page.links)
    assert "page 2 of 4" in page.visible()
    assert "quarantined 3" in page.visible() and "filtered 1" in page.visible()


@pytest.mark.parametrize(("params", "why"), [
    ({"status": "lost"}, "status must be one of"), ({"start": "yesterday"}, "ISO 8601"),
    ({"start": "2026-01-02T00:00", "end": "2026-01-01T00:00"}, "after start"),
    ({"page": "100000", "per_page": "200"}, "too far back"),
])
def test_bad_searches_get_a_clear_400(seeded: Seeded, params: dict[str, str], why: str) -> None:
    resp = _client(seeded).get("/api/messages", params=params)
    assert resp.status_code == 400 and why in resp.json()["detail"]


def test_search_page_form_results_and_refresh(browsable: Browsable) -> None:
    resp = _client(browsable.seeded).get("/messages", params={"control_id": "CTRL-123"})
    assert resp.status_code == 200 and resp.headers["cache-control"] == "no-store"
    page = PageReader(resp.text)
    rows = page.tables["results"]
    assert set(rows) == {str(browsable.quarantined), str(browsable.gold)}
    assert rows[str(browsable.quarantined)]["code"] == "E003" and rows[str(browsable.quarantined)]["state"] == "quarantined"
    assert f"message?id={browsable.quarantined}&schema={browsable.seeded.store.schema}" in page.links
    # the page refreshes itself: the script, its interval, and the part it swaps
    assert 'data-refresh="15"' in resp.text and 'data-live="results"' in resp.text and "visibilitychange" in resp.text
    # inputs without a message row: listed by their own table's id, not linked
    quarantined = PageReader(_client(browsable.seeded).get("/messages", params={"status": "quarantined"}).text)
    rejected = [k for k in quarantined.tables["results"] if k.startswith("rejected-")]
    assert len(rejected) == 1 and quarantined.tables["results"][rejected[0]]["id"].startswith("quarantine #")
    assert len(quarantined.tables["results"]) == 3
    off = _client(browsable.seeded).get("/messages", params={"refresh": "0"}).text
    assert 'data-refresh="0"' in off and "X-Intakeflow-Refresh" not in off
    assert 'data-refresh="2"' in _client(browsable.seeded).get("/messages", params={"refresh": "1"}).text


def test_an_empty_store_searches_to_nothing(pg_dsn: str, store_schema: str) -> None:
    app = create_app(lambda: pg_dsn, [store_schema], dependencies=[lambda: None])
    client = TestClient(app)
    assert client.get("/api/messages").json()["total"] == 0
    assert client.get("/messages").status_code == 200
    assert client.get("/api/audit").json()["available"] is False


# -- one message --------------------------------------------------------------------------------


def test_history_of_a_delivered_message_with_runs_tasks_and_routing(seeded: Seeded) -> None:
    run_a = RunState(DAG_A, RUN_A, "success", tasks=[
        TaskRun("stage_shard", 0, "success", 1, "StageHl7ArchiveOperator"),
        TaskRun("process", -1, "success", 1, "ProcessMessagesOperator"),
    ])
    client = _client(seeded, FakeAirflow({(DAG_A, RUN_A): run_a}))
    message_id = seeded.delivered_by_b[0]
    resp = client.get("/message", params={"id": message_id, "dag_id": DAG_A})
    page = PageReader(resp.text)
    steps = page.tables["history"]
    assert {"staged", "processed", "delivered"} <= set(steps)
    assert "routed to billing" in steps["processed"]["detail"] and "intent" in steps["processed"]["detail"]
    run_url = "../dags/hl7_archive_intake/runs/scheduled__2024-03-01T00%3A00%3A00%2B00%3A00"
    assert f"{run_url}/tasks/process" in page.links and f"{run_url}/tasks/stage_shard/mapped" in page.links
    assert "process (log)" in steps["processed"]["task"]
    assert "[NAME] [DATE] note" in page.visible() and TEXT_MARK not in resp.text
    body = client.get("/api/message", params={"id": message_id}).json()
    assert [e["step"] for e in body["history"]] == ["staged", "processed", "delivered"]
    assert body["redacted_text"] == "[NAME] [DATE] note" and body["can_reprocess"] is False
    assert TEXT_MARK not in str(body)


def test_quarantined_message_offers_reprocess_only_to_an_editor(browsable: Browsable) -> None:
    client = _client(browsable.seeded)
    params = {"id": browsable.quarantined, "dag_id": DAG_A}
    as_viewer = client.get("/message", params=params, headers=_as("viewer")).text
    assert 'data-action="reprocess"' not in as_viewer and "Reprocess this message" not in as_viewer
    assert 'data-action="reprocess"' not in client.get("/message", params=params, headers=_as("b-editor")).text
    as_editor = client.get("/message", params=params, headers=_as("editor")).text
    assert 'data-action="reprocess"' in as_editor and 'action="reprocess?' in as_editor
    steps = PageReader(as_editor).tables["history"]
    assert "E003" in steps["quarantined"]["detail"]
    assert client.get("/api/message", params=params, headers=_as("editor")).json()["can_reprocess"] is True
    # a processed message: no button for anyone
    assert 'data-action="reprocess"' not in client.get("/message", params={"id": browsable.gold}, headers=_as("editor")).text


def test_a_quarantined_message_without_its_text_says_why_it_cannot_be_rerun(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        (quarantined,) = conn.execute(sql.SQL("SELECT id FROM {}.messages WHERE status = 'quarantined'").format(
            sql.Identifier(seeded.store.schema))).fetchone() or (0,)
    page = _client(seeded).get("/message", params={"id": quarantined}, headers=_as("editor")).text
    assert 'data-action="no-text"' in page and "store_raw" in page and 'data-action="reprocess"' not in page


# -- reprocess and audit ------------------------------------------------------------------------


def _form(client: TestClient, browsable: Browsable, user: str = "editor") -> dict[str, str]:
    page = client.get("/message", params={"id": browsable.quarantined, "dag_id": DAG_A}, headers=_as(user)).text
    return {"id": str(browsable.quarantined), "reason": "E003 fixed in the parser (ticket OPS-42)",
            "request_id": _request_id(page)}


def test_reprocess_is_refused_without_edit_permission(browsable: Browsable) -> None:
    client = _client(browsable.seeded)
    form = _form(client, browsable)
    for user in ("viewer", "b-editor"):
        resp = client.post("/reprocess", params={"dag_id": DAG_A}, data=form, headers=_as(user))
        assert resp.status_code == 403 and "edit permission" in resp.text
        api = client.post("/api/reprocess", json={"ids": [browsable.quarantined], "reason": "x", "request_id": f"r-{user}"},
                          headers=_as(user))
        assert api.status_code == 403
    assert _scalar(browsable.seeded, "SELECT count(*) FROM {}.audit") == 0
    assert _scalar(browsable.seeded, "SELECT status FROM {}.messages WHERE id = %s", browsable.quarantined) == "quarantined"


@pytest.mark.parametrize("headers", [
    {}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"},
    {"Origin": "http://testserver", "Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
])
def test_cross_site_posts_are_refused(browsable: Browsable, headers: dict[str, str]) -> None:
    client = _client(browsable.seeded)
    form = _form(client, browsable)
    resp = client.post("/reprocess", data=form, headers={"X-Test-User": "editor", **headers})
    assert resp.status_code == 403 and "cross-site" in resp.text
    assert _scalar(browsable.seeded, "SELECT count(*) FROM {}.audit") == 0


def test_reprocess_requeues_once_and_writes_one_audit_row_on_a_double_submit(browsable: Browsable) -> None:
    seeded = browsable.seeded
    client = _client(seeded)
    form = _form(client, browsable)
    first = client.post("/reprocess", params={"dag_id": DAG_A, "schema": seeded.store.schema}, data=form,
                        headers=_as("editor"), follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].startswith("message?")
    second = client.post("/reprocess", params={"dag_id": DAG_A}, data=form, headers=_as("editor"),
                         follow_redirects=False)
    assert second.status_code == 303 and "repeated=true" in second.headers["location"]
    assert _scalar(seeded, "SELECT count(*) FROM {}.audit") == 1
    assert _scalar(seeded, "SELECT reprocess_count FROM {}.messages WHERE id = %s", browsable.quarantined) == 1
    assert _scalar(seeded, "SELECT status FROM {}.messages WHERE id = %s", browsable.quarantined) == "received"
    row = _scalar(seeded, "SELECT row_to_json(a) FROM {}.audit a")
    assert (row["action"], row["username"], row["message_ids"], row["dag_ids"]) == (
        "reprocess", "editor", [browsable.quarantined], [DAG_A])
    assert row["reason"] == form["reason"] and row["result"]["requeued"] == 1
    # the message page after the redirect says what was done, and its history shows who asked and why
    page = client.get(first.headers["location"], headers=_as("editor")).text
    text = PageReader(page).visible()
    assert f"Reprocess recorded as audit #{row['id']} by editor" in text and "1 message re-queued" in text
    steps = PageReader(page).tables["history"]
    assert "editor" in steps["reprocess asked"]["detail"] and "OPS-42" in steps["reprocess asked"]["detail"]
    assert "reprocessed" in steps
    repeat = client.get(second.headers["location"], headers=_as("editor")).text
    assert "nothing was done a second time" in repeat
    # now queued: no button, and a fresh form is refused (only quarantined messages)
    assert 'data-action="reprocess"' not in page
    again = client.post("/api/reprocess", json={"ids": [browsable.quarantined], "reason": "again", "request_id": "new-1"},
                        headers=_as("editor"))
    assert again.status_code == 409 and "only quarantined" in again.json()["detail"]


def test_reprocess_json_endpoint_and_its_checks(browsable: Browsable) -> None:
    client = _client(browsable.seeded)
    ask = {"ids": [browsable.quarantined], "reason": "retry after fix", "request_id": "api-1"}
    assert client.post("/api/reprocess", json={**ask, "reason": "  "}, headers=_as("editor")).status_code == 400
    assert client.post("/api/reprocess", json={**ask, "reason": "x" * 501}, headers=_as("editor")).status_code == 400
    assert client.post("/api/reprocess", json={**ask, "ids": [10**9]}, headers=_as("editor")).status_code == 404
    # a bearer token is no browser's ambient credential: no Origin needed
    ok = client.post("/api/reprocess", json=ask, headers={"X-Test-User": "editor", "Authorization": "Bearer t"})
    assert ok.status_code == 200
    body = ok.json()
    assert body["repeated"] is False and body["result"]["requeued"] == 1
    twice = client.post("/api/reprocess", json=ask, headers=_as("editor")).json()
    assert twice["repeated"] is True and twice["audit_id"] == body["audit_id"]
    # the same token for another message is a conflict, not a silent success
    clash = client.post("/api/reprocess", json={**ask, "ids": [browsable.gold]}, headers=_as("editor"))
    assert clash.status_code == 409
    assert _scalar(browsable.seeded, "SELECT count(*) FROM {}.audit") == 1


def test_audit_page_lists_actions_newest_first_and_by_dag(browsable: Browsable) -> None:
    seeded = browsable.seeded
    client = _client(seeded)
    client.post("/api/reprocess", json={"ids": [browsable.quarantined], "reason": "first", "request_id": "a-1"},
                headers=_as("editor"))
    with psycopg.connect(seeded.store.dsn) as conn:  # a second quarantined message, of DAG B
        conn.execute(sql.SQL("UPDATE {}.messages SET status = 'quarantined', raw_text = 'kept' WHERE source = 'fhir' "
                             "AND source_id = 'B0'").format(sql.Identifier(seeded.store.schema)))
        (b0,) = conn.execute(sql.SQL("SELECT id FROM {}.messages WHERE source_id = 'B0'").format(
            sql.Identifier(seeded.store.schema))).fetchone() or (0,)
    assert client.post("/api/reprocess", json={"ids": [b0], "reason": "second", "request_id": "a-2"},
                       headers=_as("b-editor")).status_code == 200
    body = client.get("/api/audit").json()
    assert body["total"] == 2 and [a["reason"] for a in body["actions"]] == ["second", "first"]
    assert [a["username"] for a in body["actions"]] == ["b-editor", "editor"]
    assert [a["reason"] for a in client.get("/api/audit", params={"dag_id": DAG_A}).json()["actions"]] == ["first"]
    page = PageReader(client.get("/audit").text)
    rows = page.tables["audit"]
    assert {r["username"] for r in rows.values()} == {"editor", "b-editor"}
    assert {r["reason"] for r in rows.values()} == {"first", "second"}
    assert f"message?id={b0}&schema={seeded.store.schema}" in page.links
    assert "2 actions" in page.visible()


def test_a_store_without_the_audit_table_takes_no_actions(browsable: Browsable) -> None:
    seeded = browsable.seeded
    with psycopg.connect(seeded.store.dsn) as conn:
        conn.execute(sql.SQL("DELETE FROM {}.schema_migrations WHERE version >= 7").format(
            sql.Identifier(seeded.store.schema)))
    client = _client(seeded)
    page = client.get("/message", params={"id": browsable.quarantined}, headers=_as("editor")).text
    assert "migration 7" in page and 'data-action="reprocess"' not in page
    resp = client.post("/api/reprocess", json={"ids": [browsable.quarantined], "reason": "x", "request_id": "m-1"},
                       headers=_as("editor"))
    assert resp.status_code == 409 and "migration 7" in resp.json()["detail"]
    assert "migration 7" in client.get("/audit").text and client.get("/api/audit").json()["available"] is False


# -- PHI ----------------------------------------------------------------------------------------


def test_no_gold_phi_string_on_any_page(browsable: Browsable) -> None:
    """The store keeps the inbound text of these messages (``store_raw``): no page and no
    JSON answer shows any identifier of it, only the redacted text."""
    seeded = browsable.seeded
    client = _client(seeded)
    client.post("/api/reprocess", json={"ids": [browsable.quarantined], "reason": "parser fixed", "request_id": "p-1"},
                headers=_as("editor"))
    assert _scalar(seeded, "SELECT count(*) FROM {}.messages WHERE raw_text LIKE %s", f"%{GOLD_PHI[0]}%") == 2
    pages = ["/", "/api/dashboard", f"/run?dag_id={DAG_A}&run_id={RUN_BROWSE}", f"/api/run?dag_id={DAG_A}&run_id={RUN_BROWSE}",
             "/messages", "/api/messages", "/messages?control_id=CTRL-123", "/api/messages?control_id=CTRL-123",
             "/audit", "/api/audit"]
    pages += [f"{p}?id={i}" for i in (browsable.quarantined, browsable.gold) for p in ("/message", "/api/message")]
    for path in pages:
        resp = client.get(path, headers=_as("editor"))
        assert resp.status_code == 200, path
        for gold in (*GOLD_PHI, TEXT_MARK):
            assert gold not in resp.text, (path, gold)
    shown = client.get("/message", params={"id": browsable.gold}).text
    assert "Hi, this is [NAME], DOB [DATE], MRN [MRN], call me at [PHONE] about my bill" in PageReader(shown).visible()
