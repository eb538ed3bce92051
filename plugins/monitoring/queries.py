"""Figures for the monitoring page, read from the store's tables for one period and DAG.

Every figure is a count, a sum or a timing: no query here selects message text, redacted
text or span values. Attribution: a message counts as *in* for the DAG whose run staged it
(``messages.dag_id``; for rows the MLLP listener or the CLI staged, the DAG that processed
them) and as *out* for the DAG whose run processed it (``messages.processed_dag_id``);
without a DAG filter every row counts.

Channels (one row per source, as interface engines show them) are the core's channel
accounting (``intakeflow.store.channels``), shared with the alerts' quarantine-share check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg import sql

from intakeflow.health.config import AlertConfig
from intakeflow.store.channels import AT_SOURCE, CHANNEL_STATES, CHANNELS, IN_DAG, INPUTS

#: bucket sizes for the timeline, the first giving at most ~48 buckets over the period wins
BUCKETS: tuple[timedelta, ...] = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
    timedelta(hours=6), timedelta(days=1), timedelta(days=7),
)
MAX_BUCKETS = 48
#: rows of one run's quarantine list shown at most (the total is always reported)
QUARANTINE_LIST_LIMIT = 500
#: the store schema version the page reads (0004 added the ``filtered`` table)
REQUIRED_SCHEMA_VERSION = 4
StoreCondition = Literal["missing", "outdated", "empty", "ready"]


@dataclass(frozen=True)
class Filters:
    """A half-open period ``[start, end)`` and an optional DAG id."""

    start: datetime
    end: datetime
    dag_id: str | None = None

    def params(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "dag": self.dag_id}

    def bucket(self) -> timedelta:
        span = self.end - self.start
        return next((b for b in BUCKETS if span / b <= MAX_BUCKETS), BUCKETS[-1])

    def bucket_starts(self) -> list[datetime]:
        """Every bucket of the period, empty ones included (``date_bin`` counts from ``start``)."""
        size, out, t = self.bucket(), [], self.start
        while t < self.end:
            out.append(t)
            t += size
        return out


@dataclass(frozen=True)
class StoreState:
    """Whether the page has anything to read: ``missing`` (no schema or tables yet),
    ``outdated`` (migrated to an older version than the page reads), ``empty`` (migrated,
    nothing received yet) or ``ready``."""

    condition: StoreCondition
    version: int | None = None


@dataclass
class Dashboard:
    filters: Filters
    channels: list[dict[str, Any]] = field(default_factory=list)
    backlog: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    intents: list[dict[str, Any]] = field(default_factory=list)
    phi: list[dict[str, Any]] = field(default_factory=list)
    insurance: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    latency: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class RunDetail:
    dag_id: str
    run_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    quarantine_total: int = 0
    stats: dict[str, Any] | None = None


# -- SQL ----------------------------------------------------------------------------------------

#: a result (success or error) saved in the period by a run of the DAG
_OUT_PERIOD = (
    "m.processed_at >= %(start)s AND m.processed_at < %(end)s"
    " AND (%(dag)s::text IS NULL OR m.processed_dag_id = %(dag)s)"
)
_DONE = "m.status IN ('processed', 'delivered')"
_Q_PERIOD = "q.last_seen >= %(start)s AND q.last_seen < %(end)s AND (%(dag)s::text IS NULL OR q.dag_id = %(dag)s)"

#: messages still waiting that arrived before the period (the channel table shows the period's)
BACKLOG = f"""
SELECT m.source, count(*) FILTER (WHERE m.status = 'received') AS queued,
       count(*) FILTER (WHERE m.status = 'failed') AS failed,
       EXTRACT(EPOCH FROM now() - min(m.created_at) FILTER (WHERE m.status = 'received'))::float8 AS oldest_queued_s
FROM {{s}}.messages m
WHERE m.status IN ('received', 'failed') AND m.created_at < %(start)s AND {IN_DAG}
GROUP BY m.source ORDER BY m.source
"""

#: inputs received (as the channel table counts them) and results saved, per bucket
TIMELINE = f"""
WITH {INPUTS}, b AS (
    SELECT date_bin(%(bucket)s, received_at, %(start)s) AS t, count(*) AS n_in, 0 AS n_out FROM inputs GROUP BY 1
    UNION ALL
    SELECT date_bin(%(bucket)s, m.processed_at, %(start)s), 0, count(*)
    FROM {{s}}.messages m WHERE {_DONE} AND {_OUT_PERIOD} GROUP BY 1
)
SELECT t, sum(n_in)::bigint AS n_in, sum(n_out)::bigint AS n_out FROM b GROUP BY t ORDER BY t
"""

#: results saved in the period (the throughput figures; the channel table counts inputs)
TOTALS = f"""
SELECT count(*) AS results,
       count(*) FILTER (WHERE i.needs_review) AS needs_review,
       COALESCE(sum(m.fallback_calls), 0)::bigint AS fallback_calls,
       count(*) FILTER (WHERE m.fallback_calls > 0) AS fallback_messages,
       COALESCE(sum(m.fallback_usd), 0)::float8 AS fallback_usd
FROM {{s}}.messages m LEFT JOIN {{s}}.intents i ON i.message_id = m.id
WHERE {_DONE} AND {_OUT_PERIOD}
"""

INTENTS = f"""
SELECT COALESCE(i.intent, 'none') AS label, count(*) AS n,
       count(*) FILTER (WHERE i.needs_review) AS needs_review
FROM {{s}}.messages m JOIN {{s}}.intents i ON i.message_id = m.id
WHERE {_DONE} AND {_OUT_PERIOD}
GROUP BY 1 ORDER BY n DESC, label
"""

PHI = f"""
SELECT p.phi_type AS label, count(*) AS n, count(DISTINCT p.message_id) AS messages
FROM {{s}}.messages m JOIN {{s}}.phi_spans p ON p.message_id = m.id
WHERE {_DONE} AND {_OUT_PERIOD}
GROUP BY 1 ORDER BY n DESC, label
"""

INSURANCE = f"""
SELECT s->>'label' AS label, count(*) AS n, count(DISTINCT f.message_id) AS messages
FROM {{s}}.messages m JOIN {{s}}.insurance_fields f ON f.message_id = m.id
CROSS JOIN LATERAL jsonb_array_elements(f.spans) AS s
WHERE {_DONE} AND {_OUT_PERIOD}
GROUP BY 1 ORDER BY n DESC, label
"""

QUARANTINE = f"""
SELECT q.reason_code AS label, count(*) AS n,
       count(*) FILTER (WHERE {AT_SOURCE}) AS at_source
FROM {{s}}.quarantine q WHERE {_Q_PERIOD}
GROUP BY 1 ORDER BY n DESC, label
"""

LATENCY = f"""
SELECT t.key AS stage, count(*) AS n, avg(t.value::float8) AS mean_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY t.value::float8) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY t.value::float8) AS p95_ms
FROM {{s}}.messages m CROSS JOIN LATERAL jsonb_each_text(m.timings_ms) AS t
WHERE {_DONE} AND {_OUT_PERIOD} AND m.timings_ms IS NOT NULL
GROUP BY 1 ORDER BY 1
"""

#: runs that settled messages in the period, with the quarantine entries they recorded
RUNS = f"""
WITH settled AS (
    SELECT m.processed_dag_id AS dag_id, m.processed_run_id AS run_id,
           count(*) FILTER (WHERE {_DONE}) AS processed, count(*) FILTER (WHERE m.status = 'failed') AS failed,
           min(m.processed_at) AS first_at, max(m.processed_at) AS last_at
    FROM {{s}}.messages m
    WHERE {_OUT_PERIOD} AND m.processed_run_id IS NOT NULL
    GROUP BY 1, 2
), quarantined AS (
    SELECT q.dag_id, q.run_id, count(*) AS quarantined, min(q.first_seen) AS first_at, max(q.last_seen) AS last_at
    FROM {{s}}.quarantine q
    WHERE {_Q_PERIOD} AND q.dag_id IS NOT NULL AND q.run_id IS NOT NULL
    GROUP BY 1, 2
)
SELECT dag_id, run_id, COALESCE(s.processed, 0) AS processed, COALESCE(q.quarantined, 0) AS quarantined,
       COALESCE(s.failed, 0) AS failed, LEAST(s.first_at, q.first_at) AS first_at,
       GREATEST(s.last_at, q.last_at) AS last_at
FROM settled s FULL JOIN quarantined q USING (dag_id, run_id)
ORDER BY last_at DESC, run_id LIMIT 200
"""

DAG_IDS = """
SELECT dag_id FROM (
    SELECT DISTINCT dag_id FROM {s}.messages WHERE dag_id IS NOT NULL
    UNION SELECT DISTINCT processed_dag_id FROM {s}.messages WHERE processed_dag_id IS NOT NULL
    UNION SELECT dag_id FROM {s}.run_stats
) d ORDER BY 1
"""

#: one run's messages per source: what it staged and where those are now, and the results it
#: saved. "Written back" is the state now, by whichever run's write-back did it: the store
#: does not record which run delivered a message (the run's own write-back count is in
#: run_stats, under write_back.delivered).
RUN_MESSAGES = """
WITH mine AS (
    SELECT m.source, m.status,
           (m.dag_id = %(dag)s AND m.run_id = %(run)s) AS staged_here,
           (m.processed_dag_id IS NOT DISTINCT FROM %(dag)s AND m.processed_run_id IS NOT DISTINCT FROM %(run)s)
               AS processed_here
    FROM {s}.messages m
    WHERE (m.dag_id = %(dag)s AND m.run_id = %(run)s)
       OR (m.processed_dag_id = %(dag)s AND m.processed_run_id = %(run)s)
), rejected AS (
    SELECT q.source, count(*) AS n FROM {s}.quarantine q
    WHERE NOT (q.meta ? 'message_id') AND q.dag_id = %(dag)s AND q.run_id = %(run)s GROUP BY 1
)
SELECT source,
       COALESCE(count(*) FILTER (WHERE staged_here), 0) AS staged,
       COALESCE(max(r.n), 0) AS rejected_at_staging,
       COALESCE(count(*) FILTER (WHERE staged_here AND status = 'received'), 0) AS still_queued,
       -- runs of one DAG overlap: another run's process task may have claimed what this one staged
       COALESCE(count(*) FILTER (WHERE staged_here AND status <> 'received' AND NOT processed_here), 0)
           AS settled_by_other_runs,
       COALESCE(count(*) FILTER (WHERE processed_here AND status IN ('processed', 'delivered')), 0) AS processed,
       COALESCE(count(*) FILTER (WHERE processed_here AND status = 'delivered'), 0) AS written_back_since,
       COALESCE(count(*) FILTER (WHERE processed_here AND status = 'quarantined'), 0) AS quarantined,
       COALESCE(count(*) FILTER (WHERE processed_here AND status = 'failed'), 0) AS failed
FROM mine FULL JOIN rejected r USING (source)
GROUP BY source ORDER BY source
"""

#: ids, codes and catalogue reasons only: the quarantine table holds no message text
RUN_QUARANTINE = """
SELECT q.id, q.source, q.source_id, (q.meta->>'message_id')::bigint AS message_id, q.meta->>'stage' AS stage,
       q.reason_code, q.reason, q.attempts, q.first_seen, q.last_seen, count(*) OVER () AS total
FROM {s}.quarantine q
WHERE q.dag_id = %(dag)s AND q.run_id = %(run)s
ORDER BY q.id LIMIT %(limit)s
"""

RUN_STATS = "SELECT counts, timings_ms, created_at, updated_at FROM {s}.run_stats WHERE dag_id = %(dag)s AND run_id = %(run)s"

#: one message's record, figures and identifiers only: no raw or redacted text, no patient
#: reference, no meta (it may hold header fields). ``%(dag)s``: only a message of that DAG.
MESSAGE = """
SELECT m.id, m.source, m.source_id, m.pipeline_version, m.status, m.attempts, m.reason_code, m.reason, m.channel,
       m.received_at, m.created_at, m.dag_id, m.run_id, m.processed_at, m.processed_dag_id, m.processed_run_id,
       m.delivered_at, m.reprocess_count, m.reprocessed_at, m.reprocessed_from, m.fallback_calls, m.fallback_usd,
       m.timings_ms, i.intent, i.confidence, i.needs_review, i.queue,
       (SELECT q.id FROM {s}.quarantine q WHERE q.meta->>'message_id' = m.id::text LIMIT 1) AS quarantine_id
FROM {s}.messages m LEFT JOIN {s}.intents i ON i.message_id = m.id
WHERE m.id = %(id)s AND (%(dag)s::text IS NULL OR m.dag_id = %(dag)s OR m.processed_dag_id = %(dag)s
      OR EXISTS (SELECT 1 FROM {s}.quarantine q WHERE q.meta->>'message_id' = m.id::text AND q.dag_id = %(dag)s))
"""
MESSAGE_PHI = "SELECT phi_type AS label, count(*) AS n FROM {s}.phi_spans WHERE message_id = %(id)s GROUP BY 1 ORDER BY 1"
MESSAGE_INSURANCE = """
SELECT s->>'label' AS label, count(*) AS n FROM {s}.insurance_fields f CROSS JOIN LATERAL jsonb_array_elements(f.spans) AS s
WHERE f.message_id = %(id)s GROUP BY 1 ORDER BY 1
"""
MESSAGE_WRITES = """
SELECT role, resource_type, fhir_id, version_id, status, reason_code, updated_at
FROM {s}.fhir_writes WHERE message_id = %(id)s ORDER BY role
"""


# -- reading ------------------------------------------------------------------------------------


def _rows(conn: psycopg.Connection[Any], schema: str, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql.SQL(query).format(s=sql.Identifier(schema)), params)
    cols = [c.name for c in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def store_state(conn: psycopg.Connection[Any], schema: str) -> StoreState:
    """What the store holds, read without touching a table that may not exist (a fresh
    deployment: no DAG has run ``migrate_store`` yet). Its own short transaction: the
    figures that follow are read in a snapshot of their own."""
    with conn.transaction():
        return _store_state(conn, schema)


def _store_state(conn: psycopg.Connection[Any], schema: str) -> StoreState:
    found = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
        [sql.SQL("{}.schema_migrations").format(sql.Identifier(schema)).as_string(conn),
         sql.SQL("{}.messages").format(sql.Identifier(schema)).as_string(conn)],
    ).fetchone()
    if not found or not found[0] or not found[1]:
        return StoreState("missing")
    row = conn.execute(sql.SQL("SELECT COALESCE(max(version), 0) FROM {}.schema_migrations").format(
        sql.Identifier(schema))).fetchone()
    version = int(row[0]) if row else 0
    if version < REQUIRED_SCHEMA_VERSION:
        return StoreState("outdated", version)
    anything = conn.execute(sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM {s}.messages) OR EXISTS (SELECT 1 FROM {s}.quarantine)"
        " OR EXISTS (SELECT 1 FROM {s}.filtered) OR EXISTS (SELECT 1 FROM {s}.run_stats)"
    ).format(s=sql.Identifier(schema))).fetchone()
    return StoreState("ready" if anything and anything[0] else "empty", version)


def channel_totals(channels: list[dict[str, Any]]) -> dict[str, Any]:
    """The channel rows summed: the figures of the cards above the table, so that the two
    can never disagree. The oldest queued age is the largest, the last message the latest."""
    totals: dict[str, Any] = {key: sum(int(r[key]) for r in channels)
                              for key in ("received", *CHANNEL_STATES, "rejected_at_staging")}
    ages = [float(r["oldest_queued_s"]) for r in channels if r.get("oldest_queued_s") is not None]
    totals["oldest_queued_s"] = max(ages, default=None)
    times = [r["last_received_at"] for r in channels if r.get("last_received_at") is not None]
    totals["last_received_at"] = max(times, default=None)
    return totals


#: each MLLP listener source's freshest heartbeat (``listener_heartbeats``, store version 5)
LISTENERS = """
SELECT source, EXTRACT(EPOCH FROM now() - max(beat_at))::float8 AS beat_age_s,
       bool_and(stopped_at IS NOT NULL) AS stopped
FROM {s}.listener_heartbeats GROUP BY source
"""


def listener_states(conn: psycopg.Connection[Any], schema: str) -> dict[str, dict[str, Any]]:
    """Per MLLP listener source: ``up`` (a heartbeat within the watchdog's ``listener_down_s``),
    ``down`` (older, and not stopped cleanly) or ``stopped`` (every instance said goodbye), with
    the last heartbeat's age. Empty on a store without heartbeats (before version 5)."""
    if conn.execute("SELECT to_regclass(%s)", (f"{schema}.listener_heartbeats",)).fetchone() == (None,):
        return {}
    limit = AlertConfig().defaults.listener_down_s or 180.0
    out = {}
    for r in _rows(conn, schema, LISTENERS, {}):
        age_s = r["beat_age_s"]
        state = "stopped" if r["stopped"] else "up" if age_s is not None and age_s <= limit else "down"
        out[str(r["source"])] = {"listener": state, "listener_beat_age_s": age_s}
    return out


def dashboard(conn: psycopg.Connection[Any], schema: str, filters: Filters) -> Dashboard:
    """All figures of the dashboard for ``filters``, read in one snapshot."""
    p = filters.params()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        results = _rows(conn, schema, TOTALS, p)[0]
        board = Dashboard(
            filters=filters,
            channels=_rows(conn, schema, CHANNELS, p),
            backlog=_rows(conn, schema, BACKLOG, p),
            timeline=_rows(conn, schema, TIMELINE, {**p, "bucket": filters.bucket()}),
            intents=_rows(conn, schema, INTENTS, p),
            phi=_rows(conn, schema, PHI, p),
            insurance=_rows(conn, schema, INSURANCE, p),
            quarantine=_rows(conn, schema, QUARANTINE, p),
            latency=_rows(conn, schema, LATENCY, p),
            runs=_rows(conn, schema, RUNS, p),
        )
        listeners = listener_states(conn, schema)
    # a source fed by an MLLP listener says whether the listener is up; other sources: None
    board.channels = [{**r, **listeners.get(str(r["source"]), {"listener": None, "listener_beat_age_s": None})}
                      for r in board.channels]
    saved = int(results["results"])
    hours = (filters.end - filters.start).total_seconds() / 3600
    board.totals = {
        **channel_totals(board.channels),
        **results,
        "needs_review_share": (int(results["needs_review"]) / saved) if saved else None,
        "results_per_hour": saved / hours,
        # the busiest timeline bucket: what the deployment sustained at its peak
        "peak_per_bucket": max((int(r["n_out"]) for r in board.timeline), default=0),
        "phi_spans": sum(int(r["n"]) for r in board.phi),
        "insurance_fields": sum(int(r["n"]) for r in board.insurance),
    }
    return board


def run_detail(conn: psycopg.Connection[Any], schema: str, dag_id: str, run_id: str) -> RunDetail:
    p = {"dag": dag_id, "run": run_id, "limit": QUARANTINE_LIST_LIMIT}
    detail = RunDetail(dag_id=dag_id, run_id=run_id)
    detail.messages = _rows(conn, schema, RUN_MESSAGES, p)
    detail.quarantine = _rows(conn, schema, RUN_QUARANTINE, p)
    detail.quarantine_total = int(detail.quarantine[0]["total"]) if detail.quarantine else 0
    stats = _rows(conn, schema, RUN_STATS, p)
    detail.stats = stats[0] if stats else None
    return detail


@dataclass
class MessageRecord:
    """One message's record: its row's figures, PHI and insurance counts by type, and what
    the write-back did per FHIR resource."""

    row: dict[str, Any]
    phi: list[dict[str, Any]] = field(default_factory=list)
    insurance: list[dict[str, Any]] = field(default_factory=list)
    writes: list[dict[str, Any]] = field(default_factory=list)


def message_record(conn: psycopg.Connection[Any], schema: str, message_id: int, dag_id: str | None) -> MessageRecord | None:
    """``None`` when there is no such message (of ``dag_id``, when given: the caller was
    authorised for that DAG only)."""
    p = {"id": message_id, "dag": dag_id}
    rows = _rows(conn, schema, MESSAGE, p)
    if not rows:
        return None
    return MessageRecord(rows[0], _rows(conn, schema, MESSAGE_PHI, p), _rows(conn, schema, MESSAGE_INSURANCE, p),
                         _rows(conn, schema, MESSAGE_WRITES, p))


def dag_ids(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    return [str(r["dag_id"]) for r in _rows(conn, schema, DAG_IDS, {})]
