from __future__ import annotations

import threading
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from intakeflow.results import InboundMessage, PipelineResult, Quarantined
from intakeflow.spans import Span
from intakeflow.store.pg_migrate import load_migrations
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import FhirWriteRecord, StagedMessage

pytestmark = pytest.mark.integration


def _msgs(n: int, source: str = "hl7v2") -> list[InboundMessage]:
    return [
        InboundMessage(source, f"FAC|{i:04d}", f"synthetic note number {i}", channel="hl7_note",
                       patient_ref=f"FAC|P{i}", received_at=datetime(2024, 3, 5, tzinfo=UTC), meta={"k": i})
        for i in range(n)
    ]


def _ok(staged: StagedMessage) -> PipelineResult:
    return PipelineResult(
        id=str(staged.id), intent="appointment_request", intent_confidence=0.9, needs_review=False,
        queue="scheduling", phi=[Span(0, 9, "NAME", "model", 0.8), Span(10, 14, "DATE")],
        insurance=[Span(15, 19, "CARRIER")], redacted_text="[NAME] note",
        insurance_json={"CARRIER": ["Acme Health"]}, pipeline_version="test-1",
    )


def _rows(store: Store, table: str) -> int:
    with psycopg.connect(store.dsn) as conn:
        q = sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(store.schema), sql.Identifier(table))
        row = conn.execute(q).fetchone()
    return int(row[0]) if row else -1


def _column(store: Store, column: str) -> list[object]:
    with psycopg.connect(store.dsn) as conn:
        q = sql.SQL("SELECT {} FROM {}.messages ORDER BY id").format(sql.Identifier(column), sql.Identifier(store.schema))
        return [r[0] for r in conn.execute(q).fetchall()]


def test_migrate_is_idempotent_and_concurrent_safe(pg_dsn: str, store_schema: str) -> None:
    store = Store(pg_dsn, schema=store_schema)
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda: results.append(store.migrate())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    n = len(load_migrations())
    assert sorted(len(r) for r in results) == [0, 0, 0, n]
    assert store.migrate() == []
    assert _rows(store, "schema_migrations") == n


@pytest.mark.parametrize("bad", ["Robert'); DROP", "UPPER", "9start", ""])
def test_schema_name_is_checked(pg_dsn: str, bad: str) -> None:
    with pytest.raises(Exception) as info:
        Store(pg_dsn, schema=bad)
    assert "E050" in str(info.value)


def test_stage_twice_does_not_duplicate(store: Store) -> None:
    quarantined = [Quarantined("hl7v2", "file:x.hl7", "E024", "E024: HL7 v2 input is truncated (t)")]
    first = store.stage([*_msgs(7), *quarantined], run_id="r1")
    assert first.as_dict() == {"staged": 7, "duplicates": 0, "quarantined": 1, "filtered": 0}
    second = store.stage([*_msgs(7), *quarantined], run_id="r2")
    assert second.as_dict() == {"staged": 0, "duplicates": 7, "quarantined": 1, "filtered": 0}
    assert _rows(store, "messages") == 7
    assert _rows(store, "quarantine") == 1
    assert store.counts()["received"] == 7
    with psycopg.connect(store.dsn) as conn:
        row = conn.execute(sql.SQL("SELECT attempts FROM {}.quarantine").format(sql.Identifier(store.schema))).fetchone()
    assert row is not None and row[0] == 2  # seen twice, one row


def test_other_pipeline_version_stages_separately(store: Store) -> None:
    store.stage(_msgs(2), "r1")
    other = Store(store.dsn, schema=store.schema, pipeline_version="test-2")
    assert other.stage(_msgs(2), "r1").staged == 2
    assert other.counts()["received"] == 2 and _rows(store, "messages") == 4


def test_claim_save_twice_keeps_row_counts(store: Store) -> None:
    store.stage(_msgs(5), "r1")
    claimed = store.claim(10, "r1:process")
    assert [m.source_id for m in claimed] == [f"FAC|{i:04d}" for i in range(5)]
    assert all(m.attempts == 1 and m.text.startswith("synthetic") for m in claimed)
    pairs = [(m, _ok(m)) for m in claimed]
    assert store.save_results(pairs).processed == 5
    before = {t: _rows(store, t) for t in ("messages", "intents", "phi_spans", "insurance_fields")}
    assert before == {"messages": 5, "intents": 5, "phi_spans": 10, "insurance_fields": 5}
    assert store.save_results(pairs).processed == 5  # re-run of the same save
    assert {t: _rows(store, t) for t in before} == before
    assert store.claim(10, "r1:process") == []
    # raw text is dropped after processing (store_raw off); redacted text kept
    assert _column(store, "raw_text") == [None] * 5
    assert _column(store, "redacted_text") == ["[NAME] note"] * 5


def test_store_raw_keeps_text(pg_dsn: str, store_schema: str) -> None:
    store = Store(pg_dsn, schema=store_schema, pipeline_version="v", store_raw=True)
    store.migrate()
    store.stage(_msgs(1), "r")
    [m] = store.claim(5, "t")
    store.save_results([(m, _ok(m))])
    assert _column(store, "raw_text") == ["synthetic note number 0"]


def test_phi_table_has_no_text_columns(store: Store) -> None:
    with psycopg.connect(store.dsn) as conn:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'phi_spans'",
            (store.schema,)).fetchall()]
    assert sorted(cols) == ["detector", "end_offset", "message_id", "phi_type", "score", "start_offset"]


def test_kill_and_resume(store: Store) -> None:
    store.stage(_msgs(5), "r1")
    first = store.claim(3, "run-a:task")  # the task dies here: nothing saved
    assert len(first) == 3
    # another task does not steal the leased rows
    other = store.claim(10, "run-b:task")
    assert [m.id for m in other] == [m.id for m in _sorted_ids(store)[3:]]
    # the retried task (same token) resumes exactly the unsaved rows
    again = store.claim(10, "run-a:task")
    assert [m.id for m in again] == [m.id for m in first]
    assert all(m.attempts == 2 for m in again)
    store.save_results([(m, _ok(m)) for m in again])
    assert store.counts()["processed"] == 3


def _sorted_ids(store: Store) -> list[StagedMessage]:
    with psycopg.connect(store.dsn) as conn:
        ids = [r[0] for r in conn.execute(
            sql.SQL("SELECT id FROM {}.messages ORDER BY id").format(sql.Identifier(store.schema))).fetchall()]
    return [StagedMessage(i, "", "", "", "") for i in ids]


def test_expired_lease_lets_another_token_resume(pg_dsn: str, store_schema: str) -> None:
    store = Store(pg_dsn, schema=store_schema, pipeline_version="v", claim_lease_s=0)
    store.migrate()
    store.stage(_msgs(2), "r")
    assert len(store.claim(5, "a")) == 2
    assert len(store.claim(5, "b")) == 2


def test_errors_fail_then_quarantine(store: Store) -> None:
    store.stage(_msgs(3), "r1")
    a, b, c = store.claim(3, "t")
    results = [
        (a, PipelineResult(id=str(a.id), error_code="E001", error="E001: message text is empty or whitespace only")),
        (b, PipelineResult(id=str(b.id), error_code="E007", error="E007: internal error (RuntimeError)")),
        (c, _ok(c)),
    ]
    counts = store.save_results(results)
    assert counts.as_dict() == {"processed": 1, "failed": 1, "quarantined": 1, "skipped": 0}
    assert store.counts()["quarantined"] == 1 and _rows(store, "quarantine") == 1
    # the failed one is retried until max_attempts, then quarantined
    for attempt in (2, 3):
        [again] = store.claim(5, "t")
        assert again.id == b.id and again.attempts == attempt and again.text
        store.save_results([(again, PipelineResult(id=str(b.id), error_code="E007", error="E007: x"))])
    assert store.claim(5, "t") == []
    final = store.counts()
    assert (final["processed"], final["failed"], final["quarantined"]) == (1, 0, 2)


def test_claim_exhausted_without_result_is_quarantined(pg_dsn: str, store_schema: str) -> None:
    store = Store(pg_dsn, schema=store_schema, pipeline_version="v", max_attempts=2, claim_lease_s=0)
    store.migrate()
    store.stage(_msgs(1), "r")
    assert len(store.claim(1, "a")) == 1
    assert len(store.claim(1, "a")) == 1
    assert store.claim(1, "a") == []  # two crashes: quarantined with E025
    assert store.counts()["quarantined"] == 1
    with psycopg.connect(store.dsn) as conn:
        row = conn.execute(sql.SQL("SELECT reason_code FROM {}.quarantine").format(
            sql.Identifier(store.schema))).fetchone()
    assert row is not None and row[0] == "E025"


def test_claim_filters_sources(store: Store) -> None:
    store.stage([*_msgs(2, "hl7v2"), *_msgs(2, "fhir")], "r")
    got = store.claim(10, "t", sources=["fhir"])
    assert {m.source for m in got} == {"fhir"} and len(got) == 2


def test_writeback_roundtrip(store: Store) -> None:
    store.stage(_msgs(2), "r")
    claimed = store.claim(5, "t")
    store.save_results([(m, _ok(m)) for m in claimed])
    pending = store.pending_writeback(10)
    assert len(pending) == 2
    staged, result = pending[0]
    assert result.intent == "appointment_request" and result.queue == "scheduling"
    assert [s.key() for s in result.phi] == [(0, 9, "NAME"), (10, 14, "DATE")]
    assert [s.key() for s in result.insurance] == [(15, 19, "CARRIER")]
    assert result.insurance_json == {"CARRIER": ["Acme Health"]}
    assert staged.text == ""  # raw text was dropped; write-back uses redacted text
    assert store.mark_delivered([staged.id]) == 1
    assert store.mark_delivered([staged.id]) == 0
    assert len(store.pending_writeback(10)) == 1
    assert store.quarantine_message(pending[1][0].id, "E031", "E031: FHIR resource Bundle failed validation (x)")
    assert store.pending_writeback(10) == []
    # saving again after delivery does not undo it
    assert store.save_results([(claimed[0], _ok(claimed[0]))]).skipped == 1
    assert store.counts()["delivered"] == 1


def test_record_run_merges(store: Store) -> None:
    store.record_run("run-1", "dag", {"staged": 3}, {"stage": 12.5})
    store.record_run("run-1", "dag", {"processed": 2})
    stats = store.run_stats("run-1", "dag")
    assert stats is not None
    assert stats["counts"] == {"staged": 3, "processed": 2}
    assert stats["timings_ms"] == {"stage": 12.5}
    assert _rows(store, "run_stats") == 1
    assert store.run_stats("run-2", "dag") is None


def test_nul_characters_are_stored(store: Store) -> None:
    msg = InboundMessage("hl7v2", "FAC|NUL", "a\x00b")
    assert store.stage([msg], "r").staged == 1
    [m] = store.claim(1, "t")
    assert m.text == "a\ufffdb" and m.meta["nul_replaced"] == ["text"]


def test_a_nul_in_an_identifier_never_fails_the_batch(store: Store) -> None:
    # MSH-10, PID-3 and MSH-9 of one message carry a NUL; the batch's other messages stage too
    poison = InboundMessage("hl7v2", "FAC|12\x0034", "text", patient_ref="MRN\x009", meta={"type": "ORU\x00R01"})
    batch: list[InboundMessage | Quarantined] = [
        *_msgs(2), poison, Quarantined("hl7v2", "FAC|\x00", "E021", "E021: bad", {"k\x00": "v"})]
    counts = store.stage(batch, "r")
    assert (counts.staged, counts.quarantined) == (3, 1)
    staged = {m.source_id: m for m in store.claim(10, "t")}
    m = staged["FAC|12\ufffd34"]
    assert m.patient_ref == "MRN\ufffd9" and m.meta["type"] == "ORU\ufffdR01"
    assert m.meta["nul_replaced"] == ["meta", "patient_ref", "source_id"]
    # the same input staged again is the same row: the replacement is deterministic
    assert store.stage([poison], "r2").duplicates == 1


def test_filtered_inputs_are_recorded_once_and_counted(store: Store) -> None:
    from intakeflow.results import Filtered

    adt = Filtered("hl7v2", "FAC|ADT-1", "adt-without-text", {"message_type": "ADT^A08"})
    counts = store.stage([*_msgs(1), adt], "r")
    assert (counts.staged, counts.filtered) == (1, 1)
    assert store.stage([adt], "r2").filtered == 1  # a re-read day or a resend: the same row
    assert _rows(store, "filtered") == 1 and store.counts()["filtered_rows"] == 1
    assert store.counts()["received"] == 1  # never claimed for processing


def test_a_later_success_clears_the_failed_write_rows(store: Store) -> None:
    store.stage(_msgs(2), "r")
    first, second = store.claim(10, "r:t")
    store.save_results([(first, _ok(first)), (second, _ok(second))])
    failed = FhirWriteRecord("bundle", "Bundle", "failed", reason_code="E034")
    for m in (first, second):
        store.record_fhir_writes(m.id, [failed])
        store.record_fhir_writes(m.id, [failed])  # a second failed attempt: still one row
    store.record_fhir_writes(first.id, [FhirWriteRecord("derived", "Communication", "created", "c1", "1"),
                                        FhirWriteRecord("task", "Task", "created", "t1", "1")])
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT message_id, role, status FROM {}.fhir_writes ORDER BY 1, 2").format(
            sql.Identifier(store.schema))).fetchall()
    # the first message's failure is resolved; the second one's still stands
    assert rows == [(first.id, "derived", "created"), (first.id, "task", "created"), (second.id, "bundle", "failed")]
