"""Write-back of many messages per transaction Bundle (issue 12), against the embedded FHIR
server behind a gate that records every transaction and can refuse one: Bundles carry
``bundle_size`` messages, a re-delivery creates nothing, a refused Bundle is split until the
bad message fails alone with its own coded record while the others are written, and a
server error leaves the whole Bundle pending without splitting it."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.sources.fhir_client import FhirClient, RetryPolicy
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import StagedMessage
from intakeflow.writeback import resources as fr
from intakeflow.writeback.writer import FhirWriter, deliver_pending

pytestmark = pytest.mark.integration
pytest.importorskip("sekmet")

POISON = "POISON-PILL"
OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid"}]}


class Gate(httpx.BaseTransport):
    """Forwards to the server; records each transaction Bundle (its messages, by the
    idempotency keys of its entries) with the status it got, and answers ``refuse`` for
    Bundles that ``refuses``. Bundles may come from two threads at once (deliver_pending)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.sent: list[tuple[list[str], int]] = []  # (message keys, status), in order of answers
        self.lock = threading.Lock()
        self.refuses: Callable[[dict[str, Any]], bool] = lambda bundle: False
        self.refuse = 422
        self.before: Callable[[], None] | None = None  # runs once, before the first transaction
        self.searches = 0
        self.search_status: int | None = None  # answer searches by _id with this instead
        self.reads = 0  # GET Communication/<id>

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and "_id=" in str(request.url):
            self.searches += 1
            if self.search_status is not None:
                return httpx.Response(self.search_status, json=OUTCOME)
        if request.method == "GET" and "/Communication/" in request.url.path:
            self.reads += 1
        if request.method != "POST" or not request.url.path.rstrip("/").endswith("/fhir"):
            return self.inner.handle_request(request)
        bundle = json.loads(request.content)
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        for e in bundle["entry"]:
            req = e["request"]
            assert req.get("ifNoneExist") if req["method"] == "POST" else req["method"] == "PUT" and req.get("ifMatch")
        keys = sorted({k for e in bundle["entry"] if (k := _key(e))})
        with self.lock:
            before, self.before = self.before, None
        if before is not None:
            before()
        if self.refuses(bundle):
            response = httpx.Response(self.refuse, json=OUTCOME)
        else:
            response = self.inner.handle_request(request)
        with self.lock:
            self.sent.append((keys, response.status_code))
        return response

    @property
    def bundles(self) -> list[list[str]]:
        return [keys for keys, _ in self.sent]

    @property
    def answers(self) -> list[int]:
        return [status for _, status in self.sent]


def _key(entry: dict[str, Any]) -> str | None:
    for ident in entry["resource"].get("identifier", []):
        if ident.get("system") == fr.DERIVED_ID_SYSTEM:
            return str(ident["value"])
    return None


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def client(fhir_server: str, gate: Gate) -> Any:
    retry = RetryPolicy(max_attempts=2, backoff_base=0.0, max_backoff=0.0)
    with FhirClient(fhir_server, transport=gate, retry=retry, sleep=lambda s: None) as c:
        yield c


def _result(staged: StagedMessage) -> PipelineResult:
    text = f"{POISON} " if "POISON" in staged.source_id else ""
    return PipelineResult(
        id=str(staged.id), intent="billing_inquiry", intent_confidence=0.8, needs_review=False, queue="billing",
        redacted_text=f"{text}[NAME] asks about a bill", pipeline_version=staged.pipeline_version,
        insurance_json={"CARRIER": ["Acme Health"], "MEMBER_ID": ["ZZ0042"]},
    )


def _processed(store: Store, ids: list[str], source: str = "hl7v2") -> list[StagedMessage]:
    now = datetime.now(UTC)
    store.stage([InboundMessage(source, i, f"synthetic note {i}", "hl7_note", f"BATCH|P{n}", now)
                 for n, i in enumerate(ids)], "run")
    claimed = store.claim(len(ids), "run:t")
    store.save_results([(m, _result(m)) for m in claimed])
    return claimed


def _on_server(client: FhirClient, keys: set[str]) -> Counter[str]:
    """Resources per idempotency key among ``keys``, over the four types written back."""
    out: Counter[str] = Counter()
    for rtype in ("Communication", "Task", "Coverage", "Provenance"):
        for res in client.search(rtype, [("_count", "500")]):
            tags = [t.get("code") for t in (res.get("meta") or {}).get("tag", []) if t.get("system") == fr.KEY_TAG_SYSTEM]
            idents = [i.get("value") for i in res.get("identifier", [])
                      if i.get("system") in (fr.DERIVED_ID_SYSTEM, fr.TASK_ID_SYSTEM, fr.COVERAGE_ID_SYSTEM)]
            for k in {*tags, *idents} & keys:
                out[f"{rtype}:{k}"] += 1
    return out


def _writes(store: Store) -> dict[int, set[tuple[str, str, str | None]]]:
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT message_id, role, status, reason_code FROM {}.fhir_writes").format(
            sql.Identifier(store.schema))).fetchall()
    out: dict[int, set[tuple[str, str, str | None]]] = {}
    for message_id, role, status, code in rows:
        out.setdefault(int(message_id), set()).add((role, status, code))
    return out


def test_messages_share_bundles_and_a_second_delivery_creates_nothing(store: Store, client: FhirClient,
                                                                      gate: Gate) -> None:
    claimed = _processed(store, [f"BATCH|A{i}" for i in range(10)])
    keys = {fr.idempotency_key(m) for m in claimed}
    writer = FhirWriter(client, bundle_size=4)
    assert deliver_pending(store, writer, limit=100) == {"delivered": 10, "quarantined": 0, "failed": 0}
    assert sorted(len(b) for b in gate.bundles) == [2, 4, 4] and gate.answers == [200, 200, 200]
    on_server = _on_server(client, keys)
    assert len(on_server) == 40 and set(on_server.values()) == {1}  # 4 resources each, once
    assert all(roles == {(r, "created", None) for r in ("derived", "task", "coverage", "provenance")}
               for roles in _writes(store).values())

    # the store lost the deliveries (a kill after the server committed): sent again, nothing new
    with psycopg.connect(store.dsn) as conn:
        conn.execute(sql.SQL("UPDATE {}.messages SET status = 'processed'").format(sql.Identifier(store.schema)))
    assert deliver_pending(store, writer, limit=100)["delivered"] == 10
    assert _on_server(client, keys) == on_server
    assert all({status for _, status, _ in roles} == {"unchanged"} for roles in _writes(store).values())


def test_a_bad_entry_fails_alone_and_the_others_are_written(store: Store, client: FhirClient, gate: Gate) -> None:
    ids = [f"BATCH|B{i}" for i in range(9)]
    ids[4] = "BATCH|POISON"
    claimed = _processed(store, ids)
    poison = next(m for m in claimed if "POISON" in m.source_id)
    gate.refuses = lambda bundle: POISON in json.dumps(bundle)
    writer = FhirWriter(client, bundle_size=9)
    assert deliver_pending(store, writer, limit=100) == {"delivered": 8, "quarantined": 1, "failed": 0}
    # halves until the bad one is alone; never one request per message
    assert len(gate.sent) < len(claimed) and gate.bundles[0] == sorted(fr.idempotency_key(m) for m in claimed)
    delivered_in = Counter(k for keys, status in gate.sent if status == 200 for k in keys)
    good = {fr.idempotency_key(m) for m in claimed if m is not poison}
    assert delivered_in == Counter({k: 1 for k in good})  # each good message committed once
    on_server = _on_server(client, {*good, fr.idempotency_key(poison)})
    assert len(on_server) == 4 * 8 and not any(fr.idempotency_key(poison) in k for k in on_server)
    writes = _writes(store)
    assert writes[poison.id] == {("bundle", "failed", "E031")}
    counts = store.counts()
    assert (counts["delivered"], counts["quarantined"], counts["processed"]) == (8, 1, 0)
    with psycopg.connect(store.dsn) as conn:
        row = conn.execute(sql.SQL("SELECT reason_code, reason FROM {}.quarantine WHERE source_id = %s").format(
            sql.Identifier(store.schema)), [poison.source_id]).fetchone()
    assert row is not None and row[0] == "E031" and POISON not in row[1]  # coded, catalogue text only


@pytest.mark.parametrize(("status", "requests"), [(503, 2), (401, 1)])
def test_server_errors_leave_the_whole_bundle_pending(store: Store, client: FhirClient, gate: Gate, status: int,
                                                      requests: int) -> None:
    claimed = _processed(store, [f"BATCH|C{status}-{i}" for i in range(6)])
    gate.refuses, gate.refuse = (lambda bundle: True), status
    writer = FhirWriter(client, bundle_size=6)
    assert deliver_pending(store, writer, limit=100) == {"delivered": 0, "quarantined": 0, "failed": 6}
    assert len(gate.bundles) == requests  # the client's retries only: not split, the cause is not an entry
    assert all(roles == {("bundle", "failed", "E030")} for roles in _writes(store).values())
    gate.refuses = lambda bundle: False
    assert deliver_pending(store, writer, limit=100) == {"delivered": 6, "quarantined": 0, "failed": 0}
    assert all("failed" not in {s for _, s, _ in roles} for roles in _writes(store).values())
    assert len(_on_server(client, {fr.idempotency_key(m) for m in claimed})) == 24


def test_fhir_sourced_messages_read_in_one_search_and_a_conflict_is_retried(
    store: Store, client: FhirClient, gate: Gate, fhir_server: str
) -> None:
    sources = [client.request("POST", "Communication", json={
        "resourceType": "Communication", "status": "completed", "payload": [{"contentString": f"synthetic {i}"}]}).json()
        for i in range(3)]
    _processed(store, [s["id"] for s in sources], source="fhir")

    def someone_else_updates_the_second() -> None:  # after our read: its If-Match is stale
        current = httpx.get(f"{fhir_server}/Communication/{sources[1]['id']}").json()
        httpx.put(f"{fhir_server}/Communication/{sources[1]['id']}", json={**current, "status": "in-progress"},
                  headers={"Content-Type": "application/fhir+json"}).raise_for_status()

    gate.before = someone_else_updates_the_second
    writer = FhirWriter(client, bundle_size=3)
    assert deliver_pending(store, writer, limit=100) == {"delivered": 3, "quarantined": 0, "failed": 0}
    assert gate.answers[0] == 412 and gate.answers[-1] == 200  # refused whole, then split and written
    assert gate.searches >= 2  # one search for the three sources, another for the half re-sent
    final = [client.read("Communication", s["id"]) for s in sources]
    assert all(fr.intent_coding("billing_inquiry")["code"] in json.dumps(c["category"]) for c in final)
    assert final[1]["status"] == "in-progress"  # the other writer's change is kept


def test_sources_unreadable_because_the_server_is_down_fail_the_bundle_at_once(
    store: Store, client: FhirClient, gate: Gate
) -> None:
    sources = [client.request("POST", "Communication", json={
        "resourceType": "Communication", "status": "completed", "payload": [{"contentString": f"synthetic {i}"}]}).json()
        for i in range(4)]
    _processed(store, [s["id"] for s in sources], source="fhir")
    gate.search_status = 503
    writer = FhirWriter(client, bundle_size=4)
    assert deliver_pending(store, writer, limit=100) == {"delivered": 0, "quarantined": 0, "failed": 4}
    assert gate.searches == 2 and gate.reads == 0 and gate.sent == []  # the client's retries; no read one by one
    assert all(roles == {("bundle", "failed", "E030")} for roles in _writes(store).values())
    gate.search_status = None
    assert deliver_pending(store, writer, limit=100)["delivered"] == 4
