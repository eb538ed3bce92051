"""The store's set-based batches (issue 12): a batch of results is a fixed handful of
statements whatever its size, writes exactly what one statement per message wrote, a
session keeps one connection per thread, and a claim ahead leaves in-flight rows alone."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.spans import Span
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import FhirWriteRecord, StagedMessage

pytestmark = pytest.mark.integration

#: what JSON, SQL text and array quoting could get wrong: quotes, backslashes, newlines and
#: tabs, non-ASCII and astral characters, a literal \u escape, braces and commas
AWKWARD = 'He said "call [NAME]" \\ C:\\path\\n\tline\n{a,b} naïve 😀 \\u0000 \'q\''


def _msgs(n: int, prefix: str = "B") -> list[InboundMessage]:
    return [InboundMessage("hl7v2", f"{prefix}|{i:04d}", f"synthetic note {i} for chart 1234567", "hl7_note",
                           f"FAC|P{i}", datetime(2024, 3, 5, tzinfo=UTC), {"k": i}) for i in range(n)]


def _ok(staged: StagedMessage, **extra: Any) -> PipelineResult:
    fields: dict[str, Any] = {
        "intent": "billing_inquiry", "intent_confidence": 0.123456789012345, "needs_review": True,
        "queue": "billing", "redacted_text": f"{AWKWARD} #{staged.id}",
        "phi": [Span(0, 9, "NAME", "model", 0.812345678), Span(0, 9, "NAME", "validator", 0.5),  # same key twice
                Span(10, 14, "DATE", "date", 1.0)],
        "insurance": [Span(15, 19, "CARRIER", "model", 0.7)],
        "insurance_json": {"CARRIER": ["Acme \"Health\""], "COPAY": [{"value": 35.5, "currency": "USD"}]},
        "timings_ms": {"model": 12.34567, "validate": 0.5}, "fallback_calls": 2, "fallback_usd": 0.000125,
        "pipeline_version": "test-1",
    }
    fields.update(extra)
    return PipelineResult(id=str(staged.id), **fields)


def _query(store: Store, template: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(store.dsn) as conn:
        return [tuple(r) for r in conn.execute(sql.SQL(template).format(s=sql.Identifier(store.schema))).fetchall()]


class StatementCounter:
    """Counts the statements cursors send (``executemany`` counts each parameter set)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.statements = 0
        real_execute, real_many = psycopg.Cursor.execute, psycopg.Cursor.executemany
        counter = self

        def execute(cur: psycopg.Cursor[Any], *args: Any, **kwargs: Any) -> Any:
            counter.statements += 1
            return real_execute(cur, *args, **kwargs)

        def executemany(cur: psycopg.Cursor[Any], query: Any, params_seq: Any, **kwargs: Any) -> Any:
            params = list(params_seq)
            counter.statements += len(params)
            return real_many(cur, query, params, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        monkeypatch.setattr(psycopg.Cursor, "executemany", executemany)


@pytest.fixture
def big_store(pg_dsn: str, store_schema: str) -> Store:
    """Batches of up to 500 rows per transaction (the store's default)."""
    s = Store(pg_dsn, schema=store_schema, pipeline_version="test-1", max_attempts=3)
    s.migrate()
    return s


def test_a_batch_is_a_fixed_number_of_statements(big_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    big_store.stage(_msgs(60), "r")
    claimed = big_store.claim(60, "t")
    errors = {claimed[0].id: "E007", claimed[1].id: "E001"}
    pairs = [(m, PipelineResult(id=str(m.id), error_code=errors[m.id], error=f"{errors[m.id]}: x")
              if m.id in errors else _ok(m)) for m in claimed]
    counter = StatementCounter(monkeypatch)
    few = big_store.save_results(pairs[:5])
    small = counter.statements
    counter.statements = 0
    many = big_store.save_results(pairs[5:])
    # messages + intents + insurance, PHI cleared, PHI inserted, errors: never one per message
    assert small <= 4 and counter.statements <= 4, (small, counter.statements)
    assert few.as_dict() == {"processed": 3, "failed": 1, "quarantined": 1, "skipped": 0}
    assert many.processed == 55
    counter.statements = 0
    assert len(big_store.claim(64, "t2")) == 1  # the failed one, claimed again
    assert counter.statements <= 2  # exhausted -> quarantine, then the claim: one round trip


def test_batch_save_writes_what_each_message_should(big_store: Store) -> None:
    big_store.stage(_msgs(5), "r")
    ok1, ok2, transient, bad_input, delivered = big_store.claim(5, "t")
    big_store.save_results([(delivered, _ok(delivered))])
    assert big_store.record_writeback({delivered.id: [FhirWriteRecord("derived", "Communication", "created")]},
                                      [delivered.id]) == 1
    counts = big_store.save_results([
        (ok1, _ok(ok1)),
        (ok2, _ok(ok2, phi=[], insurance=[], insurance_json={}, queue=None, timings_ms={})),
        (transient, PipelineResult(id=str(transient.id), error_code="E007_INTERNAL", error="E007: internal error (X)",
                                   timings_ms={"model": 1.0})),
        (bad_input, PipelineResult(id=str(bad_input.id), error_code="E001", error="E001: message text is empty")),
        (delivered, _ok(delivered, intent="complaint")),  # delivered meanwhile: left alone
    ])
    assert counts.as_dict() == {"processed": 2, "failed": 1, "quarantined": 1, "skipped": 1}

    rows = {r[0]: r[1:] for r in _query(big_store, """
        SELECT id, status, redacted_text, raw_text IS NOT NULL, reason_code, timings_ms, fallback_calls,
               fallback_usd, claimed_by FROM {s}.messages""")}
    assert rows[ok1.id] == ("processed", f"{AWKWARD} #{ok1.id}", False, None,
                            {"model": 12.346, "validate": 0.5}, 2, 0.000125, None)
    assert rows[ok2.id][:3] == ("processed", f"{AWKWARD} #{ok2.id}", False) and rows[ok2.id][4] == {}
    assert rows[transient.id][:4] == ("failed", None, True, "E007")  # kept for the retry
    assert rows[bad_input.id][:4] == ("quarantined", None, False, "E001")
    assert rows[delivered.id][0] == "delivered"

    intents = {r[0]: r[1:] for r in _query(big_store, "SELECT message_id, intent, confidence, needs_review, queue "
                                                      "FROM {s}.intents")}
    assert intents == {ok1.id: ("billing_inquiry", 0.123456789012345, True, "billing"),
                       ok2.id: ("billing_inquiry", 0.123456789012345, True, None),
                       delivered.id: ("billing_inquiry", 0.123456789012345, True, "billing")}  # not "complaint"
    phi = _query(big_store, "SELECT message_id, start_offset, end_offset, phi_type, detector, score FROM {s}.phi_spans "
                            "ORDER BY 1, 2")
    assert [p for p in phi if p[0] == ok1.id] == [(ok1.id, 0, 9, "NAME", "model", 0.812345678),
                                                  (ok1.id, 10, 14, "DATE", "date", 1.0)]
    assert not [p for p in phi if p[0] == ok2.id]
    insurance = {r[0]: r[1:] for r in _query(big_store, "SELECT message_id, normalised, spans FROM {s}.insurance_fields")}
    assert insurance[ok1.id] == ({"CARRIER": ['Acme "Health"'], "COPAY": [{"value": 35.5, "currency": "USD"}]},
                                 [{"start": 15, "end": 19, "label": "CARRIER", "source": "model"}])
    assert insurance[ok2.id] == ({}, [])
    quarantine = _query(big_store, "SELECT source_id, reason_code, reason, meta FROM {s}.quarantine")
    assert quarantine == [(bad_input.source_id, "E001", "E001: message text is empty",
                           {"message_id": bad_input.id, "stage": "pipeline"})]


def test_values_json_or_text_cannot_hold_never_fail_the_batch(big_store: Store) -> None:
    """Rows go to the server as one JSON document, and PostgreSQL quotes the document around
    a JSON error in its message: NaN and infinities (stored as the same float8, as per-row
    parameters did), a NUL and a lone surrogate (U+FFFD, as at staging) are never sent as
    such, so the batch never fails with message text in an exception."""
    big_store.stage(_msgs(3), "r")
    a, b, c = big_store.claim(3, "t")
    nan, inf = float("nan"), float("inf")
    big_store.save_results([
        (a, _ok(a, intent_confidence=nan, phi=[Span(0, 9, "NAME", "model", inf)], fallback_usd=-inf)),
        (b, PipelineResult(id=str(b.id), error_code="E007", error="E007: x", fallback_usd=nan)),
        (c, _ok(c, redacted_text="nul\x00 and lone \ud800 surrogate", insurance_json={"CARRIER": ["A\x00"]})),
    ])
    nan_confidence = dict(_query(big_store, "SELECT message_id, confidence = 'NaN'::float8 FROM {s}.intents"))
    assert nan_confidence == {a.id: True, c.id: False}
    assert (a.id, inf) in _query(big_store, "SELECT message_id, score FROM {s}.phi_spans")
    rows = {r[0]: r[1:] for r in _query(big_store, "SELECT id, fallback_usd, redacted_text FROM {s}.messages")}
    assert rows[a.id][0] == -inf and rows[b.id][0] != rows[b.id][0]  # NaN
    assert rows[c.id][1] == "nul\ufffd and lone \ufffd surrogate"
    insurance = dict(_query(big_store, "SELECT message_id, normalised FROM {s}.insurance_fields"))
    assert insurance[c.id] == {"CARRIER": ["A\ufffd"]}


def test_saving_again_replaces_and_never_appends(big_store: Store) -> None:
    big_store.stage(_msgs(3), "r")
    claimed = big_store.claim(3, "t")
    big_store.save_results([(m, _ok(m)) for m in claimed])
    fewer = [Span(1, 4, "NAME", "model", 0.9)]
    big_store.save_results([(m, _ok(m, phi=fewer, intent="complaint")) for m in claimed])
    assert _query(big_store, "SELECT count(*), count(DISTINCT message_id) FROM {s}.phi_spans") == [(3, 3)]
    assert _query(big_store, "SELECT count(*), min(intent), max(intent) FROM {s}.intents") == [(3, "complaint", "complaint")]
    assert _query(big_store, "SELECT count(*) FROM {s}.insurance_fields") == [(3,)]


def test_record_writeback_in_one_transaction(big_store: Store) -> None:
    big_store.stage(_msgs(4), "r")
    a, b, c, d = big_store.claim(4, "t")
    big_store.save_results([(m, _ok(m)) for m in (a, b, c, d)])
    failed = [FhirWriteRecord("bundle", "Bundle", "failed", reason_code="E030")]
    big_store.record_writeback({a.id: failed, b.id: failed})
    written = [FhirWriteRecord("derived", "Communication", "created", "c1", "1"),
               FhirWriteRecord("task", "Task", "unchanged", "t1", "1")]
    delivered = big_store.record_writeback(
        {a.id: written, b.id: failed, c.id: failed},
        delivered=[a.id], quarantine={c.id: ("E031", "E031: FHIR resource Bundle failed validation (x)")})
    assert delivered == 1
    writes = Counter((r[0], r[1], r[2]) for r in _query(big_store, "SELECT message_id, role, status FROM {s}.fhir_writes"))
    # a's failed bundle row is superseded by its success; b and c keep theirs
    assert writes == Counter({(a.id, "derived", "created"): 1, (a.id, "task", "unchanged"): 1,
                              (b.id, "bundle", "failed"): 1, (c.id, "bundle", "failed"): 1})
    status = dict(_query(big_store, "SELECT id, status FROM {s}.messages"))
    assert (status[a.id], status[b.id], status[c.id], status[d.id]) == ("delivered", "processed", "quarantined",
                                                                        "processed")
    assert _query(big_store, "SELECT source_id, reason_code, meta FROM {s}.quarantine") == [
        (c.source_id, "E031", {"message_id": c.id, "stage": "writeback"})]
    assert big_store.record_writeback({a.id: written}, delivered=[a.id]) == 0  # delivered already


def test_session_keeps_one_connection_per_thread(big_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[int] = []
    real = psycopg.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        conn = real(*args, **kwargs)
        opened.append(conn.info.backend_pid)
        return conn

    monkeypatch.setattr(psycopg, "connect", connect)
    big_store.stage(_msgs(20), "r")
    assert len(opened) == 1  # outside a session: one connection per call
    with big_store.session():
        for _ in range(4):
            batch = big_store.claim(5, "t")
            big_store.save_results([(m, _ok(m)) for m in batch])
        big_store.counts()
        assert len(opened) == 2
        # the server ends the backend: the call that finds it broken fails, the next one reconnects
        session_pid = opened[-1]
        with psycopg.connect(big_store.dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [session_pid])
        with pytest.raises(psycopg.OperationalError):
            big_store.counts()
        assert big_store.counts()["processed"] == 20
    assert len(opened) == 4  # the admin connection and the replacement
    with real(big_store.dsn) as conn:
        live = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [opened]).fetchone()
    assert live == (0,)  # every connection of the session closed at its end


def test_a_claim_ahead_leaves_in_flight_rows_alone(pg_dsn: str, store_schema: str) -> None:
    """With one attempt allowed, rows claimed and not yet saved are both resumable by the
    same token and 'exhausted': only ``exclude`` keeps a claim ahead from quarantining them."""
    store = Store(pg_dsn, schema=store_schema, pipeline_version="v", max_attempts=1)
    store.migrate()
    store.stage(_msgs(6), "r")
    first = store.claim(3, "t")
    ahead = store.claim(3, "t", exclude=[m.id for m in first])
    assert {m.id for m in ahead}.isdisjoint(m.id for m in first) and len(ahead) == 3
    assert store.counts()["quarantined"] == 0
    saved = store.save_results([(m, _ok(m)) for m in [*first, *ahead]])
    assert saved.processed == 6
    # without the exclusion the same claim quarantines the in-flight rows (E025)
    store.stage(_msgs(2, "C"), "r")
    inflight = store.claim(2, "u")
    assert store.claim(2, "u") == [] and store.counts()["quarantined"] == len(inflight)
