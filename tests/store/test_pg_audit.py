"""Store.reprocess_audited: the action and its audit row commit together; one request id
acts once, also when two submits of it race; a rolled-back action leaves no audit row."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.errors import IntakeflowError
from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.store import AuditConflict, AuditedOutcome, AuditEntry, ReprocessSelection, Store

pytestmark = pytest.mark.integration


def _quarantined(dsn: str, schema: str, n: int = 2) -> tuple[Store, list[int]]:
    store = Store(dsn, schema=schema, pipeline_version="v1", store_raw=True)
    store.migrate()
    store.stage([InboundMessage("hl7v2", f"FAC|{i}", f"note {i}") for i in range(n)], "r1", "dag_a")
    batch = store.claim(10, "r1:process:-1")
    store.save_results([(m, PipelineResult(id=str(m.id), error_code="E003", error="E003: x")) for m in batch])
    return store, sorted(m.id for m in batch)


def _audit_rows(store: Store) -> list[dict[str, Any]]:
    with psycopg.connect(store.dsn) as conn:
        cur = conn.execute(sql.SQL("SELECT row_to_json(a) FROM {}.audit a ORDER BY id").format(sql.Identifier(store.schema)))
        return [r[0] for r in cur.fetchall()]


def _entry(ids: list[int], request_id: str = "req-1", user: str = "alice") -> AuditEntry:
    return AuditEntry("reprocess", user, "parser fixed", request_id, tuple(ids), ("dag_a",))


def test_the_action_and_its_audit_row_commit_together(pg_dsn: str, store_schema: str) -> None:
    store, ids = _quarantined(pg_dsn, store_schema)
    outcome = store.reprocess_audited(ReprocessSelection(ids=tuple(ids)), _entry(ids))
    assert not outcome.repeated and outcome.result["requeued"] == 2
    (row,) = _audit_rows(store)
    assert (row["id"], row["username"], row["message_ids"], row["reason"], row["result"]["requeued"]) == (
        outcome.audit_id, "alice", ids, "parser fixed", 2)
    assert store.counts()["received"] == 2


def test_a_second_submit_does_nothing_and_returns_the_first_outcome(pg_dsn: str, store_schema: str) -> None:
    store, ids = _quarantined(pg_dsn, store_schema)
    first = store.reprocess_audited(ReprocessSelection(ids=tuple(ids)), _entry(ids))
    again = store.reprocess_audited(ReprocessSelection(ids=tuple(ids)), _entry(ids))
    assert again.repeated and again.audit_id == first.audit_id and again.result == first.result
    assert len(_audit_rows(store)) == 1
    with pytest.raises(AuditConflict):  # the same token for someone else or other messages
        store.reprocess_audited(ReprocessSelection(ids=tuple(ids)), _entry(ids, user="mallory"))
    with pytest.raises(AuditConflict):
        store.reprocess_audited(ReprocessSelection(ids=(ids[0],)), _entry([ids[0]]))


def test_racing_submits_of_one_form_act_once(pg_dsn: str, store_schema: str) -> None:
    """Two requests with one token at the same moment: the second waits on the first's
    unique key, then finds it and does nothing."""
    store, ids = _quarantined(pg_dsn, store_schema)
    results: list[AuditedOutcome] = []
    start = threading.Barrier(4)

    def submit() -> None:
        start.wait()
        results.append(store.reprocess_audited(ReprocessSelection(ids=tuple(ids)), _entry(ids)))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.repeated for r in results) == [False, True, True, True]
    assert len({r.audit_id for r in results}) == 1 and len(_audit_rows(store)) == 1
    with psycopg.connect(store.dsn) as conn:
        counts = conn.execute(sql.SQL("SELECT array_agg(reprocess_count) FROM {}.messages").format(
            sql.Identifier(store.schema))).fetchone()
    assert counts is not None and counts[0] == [1, 1]


def test_a_bad_request_records_nothing(pg_dsn: str, store_schema: str) -> None:
    store, ids = _quarantined(pg_dsn, store_schema)
    for entry in (AuditEntry("reprocess", "alice", "  ", "req-2", tuple(ids)),
                  AuditEntry("reprocess", "alice", "x" * 501, "req-3", tuple(ids)),
                  AuditEntry("reprocess", "", "why", "req-4", tuple(ids))):
        with pytest.raises(IntakeflowError):
            store.reprocess_audited(ReprocessSelection(ids=tuple(ids)), entry)
    with pytest.raises(IntakeflowError):  # an invalid selection: checked before anything is written
        store.reprocess_audited(ReprocessSelection(), _entry(ids))
    assert _audit_rows(store) == [] and store.counts()["quarantined"] == 2
