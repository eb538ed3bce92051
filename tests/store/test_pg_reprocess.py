from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.errors import IntakeflowError
from intakeflow.results import InboundMessage, PipelineResult, Quarantined
from intakeflow.store import ReprocessSelection, Store
from intakeflow.store.staged import StagedMessage

pytestmark = pytest.mark.integration

DAY = datetime(2024, 3, 5, tzinfo=UTC)
#: message index -> pipeline outcome on the first pass
FIRST_PASS = {0: "ok", 1: "E001", 2: "E001", 3: "E007"}


def _store(dsn: str, schema: str, version: str = "v1", *, store_raw: bool = True) -> Store:
    store = Store(dsn, schema=schema, pipeline_version=version, store_raw=store_raw, max_attempts=3, claim_lease_s=600)
    store.migrate()
    return store


def _message(i: int, received: datetime = DAY) -> InboundMessage:
    return InboundMessage("hl7v2", f"SYN|{i:03d}", f"synthetic note {i}", channel="hl7_note",
                          received_at=received + timedelta(hours=i))


def _result(m: StagedMessage, outcome: str) -> PipelineResult:
    if outcome == "ok":
        return PipelineResult(id=str(m.id), intent="appointment_request", intent_confidence=0.8,
                              needs_review=False, queue="scheduling", redacted_text="[x]", pipeline_version=m.pipeline_version)
    return PipelineResult(id=str(m.id), error_code=outcome, error=f"{outcome}: synthetic", pipeline_version=m.pipeline_version)


def _first_pass(store: Store) -> dict[str, int]:
    """Four messages and one unparseable input in run r1, one quarantined message in r2;
    returns source_id -> message id."""
    store.stage([*(_message(i) for i in range(4)), Quarantined("hl7v2", "file:a.hl7#3", "E020", "E020: x")], "r1")
    store.stage([_message(9, DAY + timedelta(days=30))], "r2")
    batch = store.claim(10, "t1")
    outcomes = {**FIRST_PASS, 9: "E001"}
    store.save_results((m, _result(m, outcomes[int(m.source_id[-3:])])) for m in batch)
    return {m.source_id: m.id for m in batch}


def _scalar(store: Store, query: str) -> Any:
    with psycopg.connect(store.dsn) as conn:
        row = conn.execute(sql.SQL(query).format(sql.Identifier(store.schema))).fetchone()
    return row[0] if row else None


def _statuses(store: Store) -> dict[str, str]:
    with psycopg.connect(store.dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT source_id, status FROM {}.messages WHERE pipeline_version = %s").format(
            sql.Identifier(store.schema)), (store.pipeline_version,)).fetchall()
    return {r[0]: r[1] for r in rows}


def _by(mode: str, ids: dict[str, int]) -> ReprocessSelection:
    now = datetime.now(UTC)
    return {
        "ids": ReprocessSelection(ids=(ids["SYN|001"], ids["SYN|003"])),
        "run": ReprocessSelection(run_id="r1"),
        "received": ReprocessSelection(since=DAY, until=DAY + timedelta(days=1)),
        "staged": ReprocessSelection(since=now - timedelta(hours=1), until=now + timedelta(hours=1),
                                     period_field="staged", pipeline_version="v1"),
    }[mode]


@pytest.mark.parametrize(("mode", "requeued", "selected", "source_q"), [
    ("ids", 2, 2, {}),
    ("run", 3, 4, {"E020": 1}),
    ("received", 3, 4, {}),  # a source quarantine has no received time
    ("staged", 4, 5, {"E020": 1}),  # also the r2 message, staged in the same hour
])
def test_requeue_then_process_keeps_ids(
    pg_dsn: str, store_schema: str, mode: str, requeued: int, selected: int, source_q: dict[str, int]
) -> None:
    store = _store(pg_dsn, store_schema)
    ids = _first_pass(store)
    before = (_scalar(store, "SELECT count(*) FROM {}.messages"), _scalar(store, "SELECT count(*) FROM {}.quarantine"))
    out = store.reprocess(_by(mode, ids))
    assert (out.requeued, out.selected, out.not_eligible) == (requeued, selected, selected - requeued)
    assert out.source_quarantine == source_q
    assert out.not_requeueable == ({"E091": 1} if source_q else {})
    again = store.claim(10, "t2")
    assert len(again) == requeued and all(m.attempts == 1 for m in again)
    assert {m.source_id: m.id for m in again}.items() <= ids.items()  # same rows, same ids
    assert store.save_results((m, _result(m, "ok")) for m in again).processed == requeued
    assert _scalar(store, "SELECT count(*) FROM {}.messages") == before[0]
    # the quarantine rows of the re-run messages are gone (one of them had failed, not been
    # quarantined); the source quarantine stays
    assert _scalar(store, "SELECT count(*) FROM {}.quarantine") == before[1] - (requeued - 1)
    assert _scalar(store, "SELECT max(reprocess_count) FROM {}.messages") == 1
    assert store.reprocess(_by(mode, ids)).requeued == 0  # nothing left to re-run


def test_failed_message_is_requeued_with_fresh_attempts(pg_dsn: str, store_schema: str) -> None:
    store = _store(pg_dsn, store_schema, store_raw=False)
    ids = _first_pass(store)
    assert _statuses(store)["SYN|003"] == "failed"
    out = store.reprocess(ReprocessSelection(ids=(ids["SYN|003"], ids["SYN|000"])))
    assert (out.requeued, out.not_eligible) == (1, 1)  # the processed one has nothing to re-run
    assert _scalar(store, "SELECT reason_code FROM {}.messages WHERE status = 'received'") is None
    (m,) = store.claim(10, "t2")
    assert (m.id, m.attempts, m.text) == (ids["SYN|003"], 1, "synthetic note 3")


def test_without_store_raw_quarantined_messages_are_reported(pg_dsn: str, store_schema: str) -> None:
    store = _store(pg_dsn, store_schema, store_raw=False)
    _first_pass(store)
    out = store.reprocess(ReprocessSelection(run_id="r1"))
    # the failed message still has its text (it waits for a retry); the quarantined lost theirs
    assert out.requeued == 1
    assert out.not_requeueable == {"E090": 2, "E091": 1}
    assert _statuses(store) == {"SYN|000": "processed", "SYN|001": "quarantined", "SYN|002": "quarantined",
                                "SYN|003": "received", "SYN|009": "quarantined"}


def test_unknown_ids_and_in_flight_rows(pg_dsn: str, store_schema: str) -> None:
    store = _store(pg_dsn, store_schema)
    ids = _first_pass(store)
    assert len(store.claim(10, "busy-task")) == 1  # the failed message, held by a running task
    out = store.reprocess(ReprocessSelection(ids=(ids["SYN|003"], 10**9, 10**9 + 1)))
    assert (out.requeued, out.in_flight, out.not_requeueable) == (0, 1, {"E092": 2})
    assert _statuses(store)["SYN|003"] == "failed"


@pytest.mark.parametrize("kwargs", [
    {},
    {"ids": (1,), "run_id": "r"},
    {"since": DAY},
    {"since": DAY, "until": DAY},
    {"since": DAY, "until": DAY + timedelta(days=1), "period_field": "updated"},
    {"ids": (1,), "pipeline_version": "v1"},
])
def test_bad_selection_is_rejected(pg_dsn: str, store_schema: str, kwargs: dict[str, object]) -> None:
    store = _store(pg_dsn, store_schema)
    with pytest.raises(IntakeflowError) as info:
        store.reprocess(ReprocessSelection(**kwargs))  # type: ignore[arg-type]
    assert info.value.code_id == "E093"


def test_naive_period_is_utc(pg_dsn: str, store_schema: str) -> None:
    store = _store(pg_dsn, store_schema)
    _first_pass(store)
    naive = ReprocessSelection(since=DAY.replace(tzinfo=None), until=(DAY + timedelta(days=1)).replace(tzinfo=None))
    assert store.reprocess(naive).requeued == 3


def test_new_version_writes_beside_old_results(pg_dsn: str, store_schema: str) -> None:
    old = _store(pg_dsn, store_schema)
    ids = _first_pass(old)
    old_intents = _scalar(old, "SELECT count(*) FROM {}.intents")
    new = _store(pg_dsn, store_schema, "v2")
    out = new.reprocess(ReprocessSelection(run_id="r1", pipeline_version="v1"), new_version="v2")
    assert (out.selected, out.staged, out.already_staged) == (4, 4, 0)
    assert out.source_quarantine == {"E020": 1}
    batch = new.claim(10, "t-v2")
    assert sorted(m.source_id for m in batch) == [f"SYN|{i:03d}" for i in range(4)]
    assert {m.id for m in batch}.isdisjoint(ids.values())
    assert new.save_results((m, _result(m, "ok")) for m in batch).processed == 4
    assert _statuses(new) == {f"SYN|{i:03d}": "processed" for i in range(4)}
    assert _statuses(old)["SYN|001"] == "quarantined"  # version 1 is untouched
    assert _scalar(old, "SELECT count(*) FROM {}.intents") == old_intents + 4
    assert _scalar(old, "SELECT count(*) FROM {}.messages WHERE reprocessed_from IS NOT NULL") == 4
    rerun = new.reprocess(ReprocessSelection(run_id="r1"), new_version="v2")
    assert (rerun.staged, rerun.already_staged) == (0, 4)
    assert _scalar(old, "SELECT count(*) FROM {}.messages") == 9


def test_new_version_needs_the_raw_text(pg_dsn: str, store_schema: str) -> None:
    store = _store(pg_dsn, store_schema, store_raw=False)
    _first_pass(store)
    out = store.reprocess(ReprocessSelection(run_id="r1"), new_version="v2")
    # only the failed message (waiting for a retry) still has its text
    assert (out.staged, out.not_requeueable) == (1, {"E090": 3, "E091": 1})
    with pytest.raises(IntakeflowError):
        store.reprocess(ReprocessSelection(run_id="r1", pipeline_version="v2"), new_version="v2")
