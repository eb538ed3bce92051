from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import sql
from seed_store import DAG_A, DAG_B, DAG_LIVE, EXPECTED_CHANNELS, RUN_A, Seeded

from intakeflow.plugins.monitoring.queries import (
    BUCKETS,
    CHANNEL_STATES,
    Dashboard,
    Filters,
    dag_ids,
    dashboard,
    message_record,
    run_detail,
    store_state,
)
from intakeflow.results import PipelineResult
from intakeflow.store.pg_store import Store

pytestmark = pytest.mark.integration


def _board(seeded: Seeded, dag: str | None, hours_before: float = 1, hours_after: float = 1) -> Dashboard:
    now = datetime.now(UTC)
    f = Filters(seeded.started - timedelta(hours=hours_before), now + timedelta(hours=hours_after), dag)
    with psycopg.connect(seeded.store.dsn) as conn:
        return dashboard(conn, seeded.store.schema, f)


def _channels(board: Dashboard) -> dict[str, dict[str, int]]:
    return {r["source"]: {k: int(r[k]) for k in CHANNEL_STATES} for r in board.channels}


def test_one_dag_counts_only_its_own_messages(seeded: Seeded) -> None:
    board = _board(seeded, DAG_A)
    t = board.totals
    # its inputs: 5 staged, 1 rejected at staging, 1 filtered; two of its results were since
    # written back (by DAG B's write-back), one quarantined by the pipeline
    assert _channels(board) == {"hl7v2": EXPECTED_CHANNELS["hl7v2"]}
    assert (t["received"], t["rejected_at_staging"], t["quarantined"]) == (7, 1, 2)
    assert (t["results"], t["needs_review"], t["needs_review_share"]) == (4, 2, 0.5)
    assert (t["fallback_calls"], t["fallback_messages"]) == (1, 1)
    assert t["fallback_usd"] == pytest.approx(0.002)
    assert (t["phi_spans"], t["insurance_fields"]) == (8, 1)
    assert {r["label"]: r["n"] for r in board.phi} == {"NAME": 4, "DATE": 4}
    assert {r["label"]: (r["n"], r["needs_review"]) for r in board.intents} == {
        "appointment_request": (2, 1), "billing_inquiry": (2, 1)}
    assert {r["label"]: r["n"] for r in board.insurance} == {"CARRIER": 1}
    assert {r["label"]: (r["n"], r["at_source"]) for r in board.quarantine} == {"E001": (1, 0), "E020": (1, 1)}
    latency = {r["stage"]: r for r in board.latency}
    assert latency["model"]["mean_ms"] == pytest.approx(2.0)
    assert latency["validate"]["mean_ms"] == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert [(r["dag_id"], r["run_id"], r["processed"], r["quarantined"]) for r in board.runs] == [(DAG_A, RUN_A, 4, 2)]
    # the timeline's "received" is the channel table's received, bucket by bucket
    assert sum(r["n_in"] for r in board.timeline) == 7 and sum(r["n_out"] for r in board.timeline) == 4


def test_every_channel_row_adds_up(seeded: Seeded) -> None:
    board = _board(seeded, None)
    assert _channels(board) == EXPECTED_CHANNELS
    for row in board.channels:
        assert row["received"] == sum(row[k] for k in CHANNEL_STATES), row["source"]
    assert board.totals["received"] == 7 + 4 + 2
    mllp = next(r for r in board.channels if r["source"] == "mllp")
    assert mllp["oldest_queued_s"] is not None and 0 <= mllp["oldest_queued_s"] < 3600
    assert board.totals["oldest_queued_s"] == mllp["oldest_queued_s"]
    assert all(r["last_received_at"] >= seeded.started for r in board.channels)


def test_listener_rows_count_for_the_dag_that_processed_them(seeded: Seeded) -> None:
    board = _board(seeded, DAG_LIVE)
    assert _channels(board) == {"mllp": {**dict.fromkeys(CHANNEL_STATES, 0), "processed": 1}}
    assert board.totals["results"] == 1  # the waiting one belongs to no DAG yet
    assert _board(seeded, DAG_B).totals["results"] == 3


def test_queued_messages_from_before_the_period_show_as_backlog(seeded: Seeded) -> None:
    later = _board(seeded, None, hours_before=-0.5, hours_after=2)  # a period starting after the seed
    assert later.channels == []
    assert [(r["source"], r["queued"], r["failed"]) for r in later.backlog] == [("fhir", 0, 1), ("mllp", 1, 0)]


def test_a_period_before_the_messages_is_empty(seeded: Seeded) -> None:
    board = _board(seeded, None, hours_before=48, hours_after=-24)
    assert board.totals["results"] == 0 and board.channels == [] and board.timeline == [] and board.backlog == []
    assert board.totals["peak_per_bucket"] == 0 and board.totals["needs_review_share"] is None
    assert board.totals["received"] == 0 and board.totals["oldest_queued_s"] is None


def test_run_detail_counts_its_messages_and_lists_its_quarantine(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        detail = run_detail(conn, seeded.store.schema, DAG_A, RUN_A)
        other = run_detail(conn, seeded.store.schema, DAG_B, RUN_A)  # same run id, other DAG
    assert detail.quarantine_total == 2
    assert {(q["reason_code"], q["stage"]) for q in detail.quarantine} == {("E001", "pipeline"), ("E020", None)}
    assert all(q["reason"].startswith(q["reason_code"]) for q in detail.quarantine)
    (row,) = detail.messages
    # "written back since" is the state now: DAG B's write-back did it, not this run
    assert {k: row[k] for k in ("staged", "rejected_at_staging", "still_queued", "settled_by_other_runs", "processed",
                                "written_back_since", "quarantined", "failed")} == {
        "staged": 5, "rejected_at_staging": 1, "still_queued": 0, "settled_by_other_runs": 0, "processed": 4,
        "written_back_since": 2, "quarantined": 1, "failed": 0}
    assert detail.stats is not None and detail.stats["counts"]["write_back"] == {}
    assert other.quarantine_total == 0 and [(r["staged"], r["processed"], r["failed"]) for r in other.messages] == [(4, 3, 1)]


def test_message_record_is_figures_only_and_respects_the_dag(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        record = message_record(conn, seeded.store.schema, seeded.delivered_by_b[0], DAG_A)
        assert message_record(conn, seeded.store.schema, seeded.delivered_by_b[0], DAG_B) is None
        assert message_record(conn, seeded.store.schema, 10**9, None) is None
    assert record is not None
    assert record.row["status"] == "delivered" and record.row["dag_id"] == DAG_A
    assert not {"raw_text", "redacted_text", "patient_ref", "meta"} & set(record.row)
    assert {r["label"] for r in record.phi} == {"NAME", "DATE"}


def test_dag_ids_are_those_seen_in_the_store(seeded: Seeded) -> None:
    with psycopg.connect(seeded.store.dsn) as conn:
        assert dag_ids(conn, seeded.store.schema) == sorted([DAG_A, DAG_B, DAG_LIVE])


def test_store_state_tells_missing_outdated_empty_and_ready(pg_dsn: str, store_schema: str) -> None:
    from intakeflow.store.pg_store import Store

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        assert store_state(conn, store_schema).condition == "missing"  # no schema at all
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(store_schema)))
        assert store_state(conn, store_schema).condition == "missing"  # schema, no tables
    store = Store(pg_dsn, schema=store_schema, pipeline_version="x@1")
    store.migrate()
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        assert store_state(conn, store_schema).condition == "empty"
        conn.execute(sql.SQL("DELETE FROM {}.schema_migrations WHERE version >= 4").format(sql.Identifier(store_schema)))
        assert store_state(conn, store_schema) == type(store_state(conn, store_schema))("outdated", 3)
    store.migrate()
    from intakeflow.results import Filtered

    store.stage([Filtered("hl7v2", "x", "adt-without-text", {})], "r")
    with psycopg.connect(pg_dsn) as conn:
        assert store_state(conn, store_schema).condition == "ready"


@pytest.mark.parametrize(("hours", "bucket"), [(1, timedelta(minutes=5)), (24, timedelta(hours=1)),
                                                (24 * 7, timedelta(hours=6)), (24 * 400, BUCKETS[-1])])
def test_timeline_buckets_keep_charts_readable(hours: int, bucket: timedelta) -> None:
    now = datetime.now(UTC)
    f = Filters(now - timedelta(hours=hours), now)
    assert f.bucket() == bucket
    starts = f.bucket_starts()
    assert starts[0] == f.start and starts[-1] < f.end <= starts[-1] + bucket and len(starts) <= 60


def test_a_run_whose_messages_another_run_processed_says_so(store: Store) -> None:
    """Overlapping runs of one DAG (a backfill): run 2's process task claims what run 1
    staged. Run 1's row must still add up: staged = still queued + processed by another run."""
    from intakeflow.results import InboundMessage
    from intakeflow.store.staged import RunRef

    store.stage([InboundMessage("hl7v2", f"m{i}", "text") for i in range(3)], "run-1", "dag")
    store.stage([InboundMessage("hl7v2", "m9", "text")], "run-1", "dag")
    batch = store.claim(3, "run-2:process", ["hl7v2"])
    store.save_results([(m, PipelineResult(id=str(m.id), intent="x", redacted_text="r")) for m in batch],
                       RunRef("dag", "run-2"))
    with psycopg.connect(store.dsn) as conn:
        (first,) = run_detail(conn, store.schema, "dag", "run-1").messages
        (second,) = run_detail(conn, store.schema, "dag", "run-2").messages
    assert (first["staged"], first["still_queued"], first["settled_by_other_runs"], first["processed"]) == (4, 1, 3, 0)
    assert (second["staged"], second["processed"]) == (0, 3)


def test_channel_rows_say_whether_their_mllp_listener_is_up(seeded: Seeded) -> None:
    """A source an MLLP listener feeds shows up (a heartbeat within the watchdog's
    listener_down_s), down (older, not stopped cleanly) or stopped; other sources none."""
    from intakeflow.plugins.monitoring import html

    table = sql.Identifier(seeded.store.schema, "listener_heartbeats")
    with psycopg.connect(seeded.store.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("INSERT INTO {} (source, instance, started_at, beat_at) "
                             "VALUES ('mllp', 'host:2575', now() - interval '1 hour', now() - interval '4 seconds')"
                             ).format(table))
        try:
            rows = {r["source"]: r for r in _board(seeded, None).channels}
            assert rows["mllp"]["listener"] == "up" and 3 <= rows["mllp"]["listener_beat_age_s"] < 60
            assert rows["hl7v2"]["listener"] is None and rows["fhir"]["listener"] is None
            assert 'data-listener="up"' in (html._listener(rows["mllp"]) or "") and html._listener(rows["fhir"]) is None
            conn.execute(sql.SQL("UPDATE {} SET beat_at = now() - interval '10 minutes'").format(table))
            rows = {r["source"]: r for r in _board(seeded, None).channels}
            assert rows["mllp"]["listener"] == "down"
            assert "down</span> (beat 10 min ago)" in (html._listener(rows["mllp"]) or "")
            conn.execute(sql.SQL("UPDATE {} SET stopped_at = now()").format(table))
            assert {r["source"]: r for r in _board(seeded, None).channels}["mllp"]["listener"] == "stopped"
            # the counts stay the channel accounting's
            assert _channels(_board(seeded, None)) == EXPECTED_CHANNELS
        finally:
            conn.execute(sql.SQL("DELETE FROM {}").format(table))
