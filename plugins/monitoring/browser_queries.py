"""Queries of the message browser: search, one message's history, the audit trail.

Search covers every input the channel table counts (``queries``): message rows, inputs
rejected at staging (a ``quarantine`` row without a message) and filtered inputs, each in
the state the dashboard gives it (``received`` reads as *queued*), by the time intakeflow
first saw it (staged, or first seen). So for one period and DAG the search's counts per
state are the channel table's columns. Results carry ids, source, state, code and times:
never text. The history adds the message's **redacted** text (the pipeline's output), and
nothing else of its text: no raw text, patient reference or header fields (``meta``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.store.channels import CHANNEL_STATES

#: the store schema version that has the ``audit`` table (and the control-id index)
AUDIT_SCHEMA_VERSION = 7
PER_PAGE = 50
MAX_PER_PAGE = 200
#: an offset past this is refused: narrow the search instead (deep OFFSETs read every row before)
MAX_OFFSET = 100_000
#: the states a search can ask for, as the dashboard names them
STATES: tuple[str, ...] = CHANNEL_STATES
#: what each kind of search result is
KINDS: dict[str, str] = {
    "message": "message row",
    "rejected": "rejected at staging (no message row)",
    "filtered": "filtered by a rule (no message row)",
}


@dataclass(frozen=True)
class Search:
    """Filters of a search; ``None`` means any. ``control_id`` matches the whole source id
    (``FACILITY|CONTROL_ID`` for HL7 v2, the resource id for FHIR) or its part after the last
    ``|`` (the HL7 message control id, MSH-10). The period is half-open, on when intakeflow
    first saw the input. ``page`` counts from 1."""

    control_id: str | None = None
    source: str | None = None
    state: str | None = None
    code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    dag_id: str | None = None
    page: int = 1
    per_page: int = PER_PAGE

    def params(self) -> dict[str, Any]:
        cid = self.control_id
        return {
            "cid": cid, "cid_tail": cid.rsplit("|", 1)[-1] if cid else None, "cid_full": cid if cid and "|" in cid else None,
            "source": self.source, "state": self.state, "code": self.code, "start": self.start, "end": self.end,
            "dag": self.dag_id, "limit": self.per_page, "offset": (self.page - 1) * self.per_page,
        }


@dataclass
class SearchResult:
    search: Search
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: matches per state for every filter but the state (what the state links show)
    counts: dict[str, int] = field(default_factory=dict)
    #: matches of the whole search (the state filter included)
    total: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.search.per_page))


@dataclass
class History:
    """What the store knows of one message beyond its record (``queries.MessageRecord``):
    its redacted text, whether its inbound text is still kept (re-runnable), its quarantine
    entry, copies staged from it under other versions, and the console's audit rows for it."""

    redacted_text: str | None = None
    has_text: bool = False
    quarantine: dict[str, Any] | None = None
    copies: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    #: False while the store is older than the audit table (schema v7)
    audit_available: bool = False


@dataclass
class AuditPage:
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    page: int = 1
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# -- SQL ----------------------------------------------------------------------------------------

#: a source id matches the control id asked for: its tail after the last '|' (indexed, v7),
#: and the whole key when the question had a '|' in it
_CONTROL = ("(%(cid)s::text IS NULL OR (split_part({a}.source_id, '|', -1) = %(cid_tail)s::text"
            " AND (%(cid_full)s::text IS NULL OR {a}.source_id = %(cid_full)s::text)))")
_COMMON = ("(%(source)s::text IS NULL OR {a}.source = %(source)s::text)"
           " AND (%(start)s::timestamptz IS NULL OR {t} >= %(start)s::timestamptz)"
           " AND (%(end)s::timestamptz IS NULL OR {t} < %(end)s::timestamptz)")

#: every input matching all filters but the state, with its state; a message belongs to the
#: DAG whose run staged or processed it (as its record page checks), other inputs to the
#: DAG whose run recorded them
INPUTS = f"""
inputs AS (
    SELECT 'message'::text AS kind, m.id, m.source, m.source_id,
           CASE m.status WHEN 'received' THEN 'queued' ELSE m.status END AS state,
           m.reason_code AS code, m.created_at AS seen_at, m.received_at, m.processed_at, m.delivered_at,
           m.dag_id, m.run_id, m.processed_dag_id, m.processed_run_id, m.pipeline_version, m.reprocess_count
    FROM {{s}}.messages m
    WHERE {_CONTROL.format(a="m")} AND {_COMMON.format(a="m", t="m.created_at")}
      AND (%(code)s::text IS NULL OR m.reason_code = %(code)s::text)
      AND (%(dag)s::text IS NULL OR m.dag_id = %(dag)s::text OR m.processed_dag_id = %(dag)s::text)
    UNION ALL
    SELECT 'rejected', q.id, q.source, q.source_id, 'quarantined', q.reason_code, q.first_seen, NULL, NULL, NULL,
           q.dag_id, q.run_id, NULL, NULL, NULL, 0
    FROM {{s}}.quarantine q
    WHERE NOT (q.meta ? 'message_id') AND {_CONTROL.format(a="q")} AND {_COMMON.format(a="q", t="q.first_seen")}
      AND (%(code)s::text IS NULL OR q.reason_code = %(code)s::text)
      AND (%(dag)s::text IS NULL OR q.dag_id = %(dag)s::text)
    UNION ALL
    SELECT 'filtered', f.id, f.source, f.source_id, 'filtered', f.rule, f.first_seen, NULL, NULL, NULL,
           f.dag_id, f.run_id, NULL, NULL, NULL, 0
    FROM {{s}}.filtered f
    WHERE {_CONTROL.format(a="f")} AND {_COMMON.format(a="f", t="f.first_seen")}
      AND (%(code)s::text IS NULL OR f.rule = %(code)s::text)
      AND (%(dag)s::text IS NULL OR f.dag_id = %(dag)s::text)
)"""

SEARCH = f"""
WITH {INPUTS}
SELECT * FROM inputs WHERE %(state)s::text IS NULL OR state = %(state)s::text
ORDER BY seen_at DESC, id DESC, kind
LIMIT %(limit)s OFFSET %(offset)s
"""

SEARCH_COUNTS = f"WITH {INPUTS} SELECT state, count(*) AS n FROM inputs GROUP BY state"

#: the sources present, without reading every message row (a skip scan over the key index)
SOURCES = """
WITH RECURSIVE src AS (
    (SELECT source FROM {s}.messages ORDER BY source LIMIT 1)
    UNION ALL
    SELECT (SELECT m.source FROM {s}.messages m WHERE m.source > src.source ORDER BY m.source LIMIT 1)
    FROM src WHERE src.source IS NOT NULL
)
SELECT source FROM src WHERE source IS NOT NULL
UNION SELECT DISTINCT source FROM {s}.quarantine
UNION SELECT DISTINCT source FROM {s}.filtered
ORDER BY 1
"""

#: the redacted text (the pipeline's output) and whether the inbound text is still kept;
#: never the raw text itself
HISTORY = "SELECT redacted_text, raw_text IS NOT NULL AS has_text FROM {s}.messages WHERE id = %(id)s"
HISTORY_QUARANTINE = """
SELECT q.id, q.reason_code, q.attempts, q.first_seen, q.last_seen, q.dag_id, q.run_id, q.meta->>'stage' AS stage
FROM {s}.quarantine q WHERE q.meta->>'message_id' = %(id)s::text
"""
HISTORY_COPIES = """
SELECT id, pipeline_version, status, created_at FROM {s}.messages WHERE reprocessed_from = %(id)s ORDER BY id
"""
HISTORY_AUDIT = """
SELECT id, action, username, at, reason, result, cardinality(message_ids) AS messages
FROM {s}.audit WHERE message_ids @> ARRAY[%(id)s]::bigint[] ORDER BY at, id
"""

AUDIT = """
SELECT id, action, username, at, message_ids, dag_ids, reason, origin, result, count(*) OVER () AS total
FROM {s}.audit
WHERE %(dag)s::text IS NULL OR %(dag)s::text = ANY(dag_ids)
ORDER BY at DESC, id DESC
LIMIT %(limit)s OFFSET %(offset)s
"""
AUDIT_COUNT = "SELECT count(*) AS n FROM {s}.audit WHERE %(dag)s::text IS NULL OR %(dag)s::text = ANY(dag_ids)"

#: what the reprocess endpoint needs to decide: the state and the DAGs of each message
MESSAGE_STATES = """
SELECT id, status, dag_id, processed_dag_id, raw_text IS NOT NULL AS has_text
FROM {s}.messages WHERE id = ANY(%(ids)s::bigint[])
"""


# -- reading ------------------------------------------------------------------------------------


def _rows(conn: psycopg.Connection[Any], schema: str, query: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    cur = conn.execute(sql.SQL(query).format(s=sql.Identifier(schema)), params)
    cols = [c.name for c in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def schema_version(conn: psycopg.Connection[Any], schema: str) -> int:
    row = conn.execute(sql.SQL("SELECT COALESCE(max(version), 0) FROM {}.schema_migrations").format(
        sql.Identifier(schema))).fetchone()
    return int(row[0]) if row else 0


def search(conn: psycopg.Connection[Any], schema: str, s: Search) -> SearchResult:
    """One page of results, newest first, and the counts per state, in one snapshot."""
    p = s.params()
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        counts = {str(r["state"]): int(r["n"]) for r in _rows(conn, schema, SEARCH_COUNTS, p)}
        rows = _rows(conn, schema, SEARCH, p)
    by_state = {state: counts.get(state, 0) for state in STATES}
    total = by_state.get(s.state, 0) if s.state else sum(by_state.values())
    return SearchResult(s, rows, by_state, total)


def sources(conn: psycopg.Connection[Any], schema: str) -> list[str]:
    return [str(r["source"]) for r in _rows(conn, schema, SOURCES, {})]


def history(conn: psycopg.Connection[Any], schema: str, message_id: int) -> History:
    p = {"id": message_id}
    found = _rows(conn, schema, HISTORY, p)
    if not found:
        return History()
    out = History(redacted_text=found[0]["redacted_text"], has_text=bool(found[0]["has_text"]))
    quarantine = _rows(conn, schema, HISTORY_QUARANTINE, p)
    out.quarantine = quarantine[0] if quarantine else None
    out.copies = _rows(conn, schema, HISTORY_COPIES, p)
    if schema_version(conn, schema) >= AUDIT_SCHEMA_VERSION:
        out.audit_available = True
        out.audit = _rows(conn, schema, HISTORY_AUDIT, p)
    return out


def audit_page(conn: psycopg.Connection[Any], schema: str, dag_id: str | None, page: int,
               per_page: int = PER_PAGE) -> AuditPage:
    rows = _rows(conn, schema, AUDIT, {"dag": dag_id, "limit": per_page, "offset": (page - 1) * per_page})
    total = int(rows[0]["total"]) if rows else 0
    if not rows and page > 1:  # past the end: still say how many there are
        counted = _rows(conn, schema, AUDIT_COUNT, {"dag": dag_id})
        total = int(counted[0]["n"]) if counted else 0
    return AuditPage(rows, total, page, per_page)


def message_states(conn: psycopg.Connection[Any], schema: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    return {int(r["id"]): r for r in _rows(conn, schema, MESSAGE_STATES, {"ids": ids})}
