from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from seed_store import DAG_A, DAG_B, DAG_LIVE, RUN_A, Seeded

from intakeflow.plugins.monitoring.queries import BUCKETS, Dashboard, Filters, dag_ids, dashboard, run_detail

pytestmark = pytest.mark.integration


def _board(seeded: Seeded, dag: str | None, hours_before: float = 1, hours_after: float = 1) -> Dashboard:
    now = datetime.now(UTC)
    f = Filters(seeded.started - timedelta(hours=hours_before), now + timedelta(hours=hours_after), dag)
    with psycopg.connect(seeded.store.dsn) as conn:
        return dashboard(conn, seeded.store.schema, f)


def test_one_dag_counts_only_its_own_messages(seeded: Seeded) -> None:
    board = _board(seeded, DAG_A)
    t = board.totals
    assert (t["staged"], t["rejected"], t["processed"], t["quarantined"], t["failed"]) == (5, 1, 4, 1, 0)
    assert (t["needs_review"], t["needs_review_share"]) == (2, 0.5)
    assert (t["fallback_calls"], t["fallback_messages"]) == (1, 1)
    assert t["fallback_usd"] == pytest.approx(0.002)
    assert (t["phi_spans"], t["insurance_fields"]) == (8, 1)
    assert {r["label"]: r["n"] for r in board.phi} == {"NAME": 4, "DATE": 4}
    assert {r["label"]: (r["n"], r["needs_review"]) for r in board.intents} == {
        "appointment_request": (2, 1), "billing_inquiry": (2, 1)}
    assert {r["label"]: r["n"] for r in board.insurance} == {"CARRIER": 1}
    assert {r["label"]: (r["n"], r["at_source"]) for r in board.quarantine} == {"E001": (1, 0), "E020": (1, 1)}
    assert [(r["source"], r["staged"], r["rejected"], r["processed"]) for r in board.by_source] == [("hl7v2", 5, 1, 4)]
    latency = {r["stage"]: r for r in board.latency}
    assert latency["model"]["mean_ms"] == pytest.approx(2.0)
    assert latency["validate"]["mean_ms"] == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert [(r["dag_id"], r["run_id"], r["processed"], r["quarantined"]) for r in board.runs] == [(DAG_A, RUN_A, 4, 2)]
    assert sum(r["n_in"] for r in board.timeline) == 5 and sum(r["n_out"] for r in board.timeline) == 4


def test_all_dags_add_up_and_include_the_listener(seeded: Seeded) -> None:
    t = _board(seeded, None).totals
    assert (t["staged"], t["processed"]) == (5 + 3 + 2, 4 + 3 + 1)
    assert _board(seeded, DAG_B).totals["processed"] == 3


def test_listener_rows_count_for_the_dag_that_processed_them(seeded: Seeded) -> None:
    t = _board(seeded, DAG_LIVE).totals
    assert (t["staged"], t["processed"]) == (1, 1)  # the waiting one belongs to no DAG yet


def test_a_period_before_the_messages_is_empty(seeded: Seeded) -> None:
    board = _board(seeded, None, hours_before=48, hours_after=-24)
    assert board.totals["processed"] == 0 and board.by_source == [] and board.timeline == []
    assert board.totals["peak_per_bucket"] == 0 and board.totals["needs_review_share"] is None


def test_run_detail_lists_ids_and_reasons_of_its_quarantine(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        detail = run_detail(conn, seeded.store.schema, DAG_A, RUN_A)
        other = run_detail(conn, seeded.store.schema, DAG_B, RUN_A)  # same run id, other DAG
    assert detail.quarantine_total == 2
    assert {(q["reason_code"], q["stage"]) for q in detail.quarantine} == {("E001", "pipeline"), ("E020", None)}
    assert all(q["reason"].startswith(q["reason_code"]) for q in detail.quarantine)
    assert {(r["status"], r["n"]) for r in detail.statuses} == {("processed", 4), ("quarantined", 1)}
    assert other.quarantine_total == 0 and {r["n"] for r in other.statuses} == {3}


def test_dag_ids_are_those_seen_in_the_store(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        assert dag_ids(conn, seeded.store.schema) == sorted([DAG_A, DAG_B, DAG_LIVE])


@pytest.mark.parametrize(("hours", "bucket"), [(1, timedelta(minutes=5)), (24, timedelta(hours=1)),
                                                (24 * 7, timedelta(hours=6)), (24 * 400, BUCKETS[-1])])
def test_timeline_buckets_keep_charts_readable(hours: int, bucket: timedelta) -> None:
    now = datetime.now(UTC)
    assert Filters(now - timedelta(hours=hours), now).bucket() == bucket
