"""Figures for the monitoring page, read from the store's tables for one period and DAG.

Every figure is a count, a sum or a timing: no query here selects message text, redacted
text or span values. Attribution: a message counts as *in* for the DAG whose run staged it
(``messages.dag_id``; for rows the MLLP listener or the CLI staged, the DAG that processed
them) and as *out* for the DAG whose run processed it (``messages.processed_dag_id``);
without a DAG filter every row counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

#: bucket sizes for the timeline, the first giving at most ~48 buckets over the period wins
BUCKETS: tuple[timedelta, ...] = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
    timedelta(hours=6), timedelta(days=1), timedelta(days=7),
)
MAX_BUCKETS = 48
#: rows of one run's quarantine list shown at most (the total is always reported)
QUARANTINE_LIST_LIMIT = 500


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


@dataclass
class Dashboard:
    filters: Filters
    by_source: list[dict[str, Any]] = field(default_factory=list)
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
    statuses: list[dict[str, Any]] = field(default_factory=list)
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    quarantine_total: int = 0
    stats: dict[str, Any] | None = None


# -- SQL ----------------------------------------------------------------------------------------

#: staged by a run of the DAG or, staged outside Airflow (MLLP listener, CLI), processed by one
_IN_PERIOD = (
    "m.created_at >= %(start)s AND m.created_at < %(end)s AND (%(dag)s::text IS NULL OR m.dag_id = %(dag)s"
    " OR (m.dag_id IS NULL AND m.processed_dag_id = %(dag)s))"
)
#: a result (success or error) saved in the period by a run of the DAG
_OUT_PERIOD = (
    "m.processed_at >= %(start)s AND m.processed_at < %(end)s"
    " AND (%(dag)s::text IS NULL OR m.processed_dag_id = %(dag)s)"
)
_DONE = "m.status IN ('processed', 'delivered')"
#: quarantined before a message row existed (unparseable input): no message_id in meta
_AT_SOURCE = "NOT (q.meta ? 'message_id')"
_Q_PERIOD = "q.last_seen >= %(start)s AND q.last_seen < %(end)s AND (%(dag)s::text IS NULL OR q.dag_id = %(dag)s)"

BY_SOURCE = f"""
WITH inbound AS (
    SELECT m.source, count(*) AS staged FROM {{s}}.messages m WHERE {_IN_PERIOD} GROUP BY m.source
), at_source AS (
    SELECT q.source, count(*) AS rejected FROM {{s}}.quarantine q
    WHERE {_AT_SOURCE} AND q.first_seen >= %(start)s AND q.first_seen < %(end)s
      AND (%(dag)s::text IS NULL OR q.dag_id = %(dag)s)
    GROUP BY q.source
), settled AS (
    SELECT m.source,
           count(*) FILTER (WHERE {_DONE}) AS processed,
           count(*) FILTER (WHERE m.status = 'delivered') AS delivered,
           count(*) FILTER (WHERE m.status = 'quarantined') AS quarantined,
           count(*) FILTER (WHERE m.status = 'failed') AS failed
    FROM {{s}}.messages m WHERE {_OUT_PERIOD} GROUP BY m.source
)
SELECT source,
       COALESCE(i.staged, 0) AS staged, COALESCE(a.rejected, 0) AS rejected,
       COALESCE(o.processed, 0) AS processed, COALESCE(o.delivered, 0) AS delivered,
       COALESCE(o.quarantined, 0) AS quarantined, COALESCE(o.failed, 0) AS failed
FROM inbound i FULL JOIN at_source a USING (source) FULL JOIN settled o USING (source)
ORDER BY source
"""

TIMELINE = f"""
WITH b AS (
    SELECT date_bin(%(bucket)s, m.created_at, %(start)s) AS t, count(*) AS n_in, 0 AS n_out
    FROM {{s}}.messages m WHERE {_IN_PERIOD} GROUP BY 1
    UNION ALL
    SELECT date_bin(%(bucket)s, m.processed_at, %(start)s), 0, count(*)
    FROM {{s}}.messages m WHERE {_DONE} AND {_OUT_PERIOD} GROUP BY 1
)
SELECT t, sum(n_in)::bigint AS n_in, sum(n_out)::bigint AS n_out FROM b GROUP BY t ORDER BY t
"""

TOTALS = f"""
SELECT count(*) AS processed,
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
       count(*) FILTER (WHERE {_AT_SOURCE}) AS at_source
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

RUN_STATUSES = """
SELECT m.source, m.status, count(*) AS n,
       count(*) FILTER (WHERE m.dag_id = %(dag)s AND m.run_id = %(run)s) AS staged_here,
       count(*) FILTER (WHERE m.processed_dag_id = %(dag)s AND m.processed_run_id = %(run)s) AS processed_here
FROM {s}.messages m
WHERE (m.dag_id = %(dag)s AND m.run_id = %(run)s)
   OR (m.processed_dag_id = %(dag)s AND m.processed_run_id = %(run)s)
GROUP BY 1, 2 ORDER BY 1, 2
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


# -- reading ------------------------------------------------------------------------------------


def _rows(conn: psycopg.Connection[Any], schema: str, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql.SQL(query).format(s=sql.Identifier(schema)), params)
    cols = [c.name for c in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def dashboard(conn: psycopg.Connection[Any], schema: str, filters: Filters) -> Dashboard:
    """All figures of the dashboard for ``filters``, read in one snapshot."""
    p = filters.params()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        totals = _rows(conn, schema, TOTALS, p)[0]
        board = Dashboard(
            filters=filters,
            by_source=_rows(conn, schema, BY_SOURCE, p),
            timeline=_rows(conn, schema, TIMELINE, {**p, "bucket": filters.bucket()}),
            intents=_rows(conn, schema, INTENTS, p),
            phi=_rows(conn, schema, PHI, p),
            insurance=_rows(conn, schema, INSURANCE, p),
            quarantine=_rows(conn, schema, QUARANTINE, p),
            latency=_rows(conn, schema, LATENCY, p),
            runs=_rows(conn, schema, RUNS, p),
        )
    processed = int(totals["processed"])
    hours = (filters.end - filters.start).total_seconds() / 3600
    board.totals = {
        **totals,
        "staged": sum(int(r["staged"]) for r in board.by_source),
        "rejected": sum(int(r["rejected"]) for r in board.by_source),
        "quarantined": sum(int(r["quarantined"]) for r in board.by_source),
        "failed": sum(int(r["failed"]) for r in board.by_source),
        "needs_review_share": (int(totals["needs_review"]) / processed) if processed else None,
        "per_hour": processed / hours,
        # the busiest timeline bucket: what the deployment sustained at its peak
        "peak_per_bucket": max((int(r["n_out"]) for r in board.timeline), default=0),
        "phi_spans": sum(int(r["n"]) for r in board.phi),
        "insurance_fields": sum(int(r["n"]) for r in board.insurance),
    }
    return board


def run_detail(conn: psycopg.Connection[Any], schema: str, dag_id: str, run_id: str) -> RunDetail:
    p = {"dag": dag_id, "run": run_id, "limit": QUARANTINE_LIST_LIMIT}
    detail = RunDetail(dag_id=dag_id, run_id=run_id)
    detail.statuses = _rows(conn, schema, RUN_STATUSES, p)
    detail.quarantine = _rows(conn, schema, RUN_QUARANTINE, p)
    detail.quarantine_total = int(detail.quarantine[0]["total"]) if detail.quarantine else 0
    stats = _rows(conn, schema, RUN_STATS, p)
    detail.stats = stats[0] if stats else None
    return detail


def dag_ids(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    return [str(r["dag_id"]) for r in _rows(conn, schema, DAG_IDS, {})]
