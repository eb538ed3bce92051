"""Reprocessing: put failed or quarantined messages back in the queue after a fix, or stage
copies of handled messages under a new pipeline version.

- Re-queue (same version): the same row goes back to ``received`` -- same id, same source
  key -- with attempts reset, the error fields cleared and ``reprocess_count`` /
  ``reprocessed_at`` recorded; the quarantine row written for it is removed (a new failure
  writes a new one). The next claim of that version processes it again.
- New version: for each selected message key of another version, a copy keyed
  ``(source, source_id, new_version)`` is staged as ``received`` with
  ``reprocessed_from`` pointing at the row it came from. The old rows and their results
  are never touched; running it again adds nothing.

Both need the inbound text. The store drops it once a message is processed or quarantined
unless ``store_raw`` is on, so without ``store_raw`` such messages are reported under E090
instead of being re-run. Inputs quarantined at the source (no message row, e.g. an
unparseable HL7 message) cannot be re-queued from the store: they are counted under E091
(and per reason code) and must be re-read from the source; they match a run, or a period by
the time they were recorded (they have no received time). Unknown ids count under E092.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.errors import E, IntakeflowError
from intakeflow.store import pg_reprocess_queries as rq

Conn = psycopg.Connection[dict[str, Any]]

#: period name -> column: when the source received the message, or when it was staged
PERIOD_FIELDS: dict[str, str] = {"received": "received_at", "staged": "created_at"}


@dataclass(frozen=True)
class ReprocessSelection:
    """Exactly one of: message ids (database ids, any version), the run that staged the
    messages, or a period ``[since, until)`` on ``period_field``. ``pipeline_version``
    narrows a run or period to one version (for a new-version copy: the version copied
    from). Naive datetimes are taken as UTC."""

    ids: tuple[int, ...] = ()
    run_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    period_field: str = "received"
    pipeline_version: str | None = None

    def check(self) -> None:
        period = self.since is not None or self.until is not None
        if sum((bool(self.ids), self.run_id is not None, period)) != 1:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="give exactly one of ids, a run id, or a period")
        if period and (self.since is None or self.until is None):
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="a period needs both since and until")
        if self.since is not None and self.until is not None and _utc(self.since) >= _utc(self.until):
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="since must be before until")
        if self.period_field not in PERIOD_FIELDS:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="period field must be 'received' or 'staged'")
        if self.ids and self.pipeline_version is not None:
            raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="ids name rows of one version already")

    def params(self, exclude: str | None = None) -> dict[str, Any]:
        return {
            "ids": sorted(set(self.ids)) or None,
            "run": self.run_id,
            "since": _utc(self.since) if self.since else None,
            "until": _utc(self.until) if self.until else None,
            "pv": self.pipeline_version,
            "exclude": exclude,
        }


@dataclass
class ReprocessCounts:
    """Counts only. ``selected``: message rows the selection matched; ``not_eligible``:
    of those, rows with nothing to do (same version: not failed or quarantined; new
    version: an older duplicate of a key already counted). ``not_requeueable`` maps a
    catalogue code to a count; ``source_quarantine`` maps the reason codes of matched
    source quarantines to counts."""

    selected: int = 0
    requeued: int = 0
    staged: int = 0
    already_staged: int = 0
    not_eligible: int = 0
    in_flight: int = 0
    not_requeueable: dict[str, int] = field(default_factory=dict)
    source_quarantine: dict[str, int] = field(default_factory=dict)

    def add(self, code: E, n: int) -> None:
        if n > 0:
            key = code.name.split("_", 1)[0]
            self.not_requeueable[key] = self.not_requeueable.get(key, 0) + n

    def as_dict(self) -> dict[str, Any]:
        flat = {k: getattr(self, k) for k in
                ("selected", "requeued", "staged", "already_staged", "not_eligible", "in_flight")}
        return {**flat, "not_requeueable": dict(self.not_requeueable), "source_quarantine": dict(self.source_quarantine)}


def check_request(selection: ReprocessSelection, new_version: str | None) -> None:
    """Raise E093 on a selection (or a new version) that cannot be run, before any query."""
    selection.check()
    if new_version is not None and (not new_version or new_version == selection.pipeline_version):
        raise IntakeflowError(E.E093_REPROCESS_SELECTION, why="the new version must differ from the version copied")


def requeue(conn: Conn, schema: str, selection: ReprocessSelection, *, lease_s: float) -> ReprocessCounts:
    """Reset the selected failed / quarantined messages of ``schema`` to ``received``, in the
    caller's transaction (``Store.reprocess`` opens it; ``check_request`` went first). Failed
    rows a running task holds (claimed within the lease) are left to it: ``in_flight``."""
    counts = ReprocessCounts()
    params = {**selection.params(), "lease": lease_s}
    _count_selection(conn, schema, selection, params, counts)
    rows = conn.execute(_q(schema, rq.REQUEUE_CANDIDATES, selection), params).fetchall()
    counts.not_eligible = counts.selected - len(rows)
    counts.in_flight = sum(1 for r in rows if r["busy"])
    counts.add(E.E090_REPROCESS_NO_TEXT, sum(1 for r in rows if not r["has_text"] and not r["busy"]))
    ids = [int(r["id"]) for r in rows if r["has_text"] and not r["busy"]]
    if ids:
        counts.requeued = conn.execute(_q(schema, rq.REQUEUE, selection), {"ids": ids}).rowcount
        conn.execute(_q(schema, rq.DELETE_MESSAGE_QUARANTINE, selection), {"keys": [str(i) for i in ids]})
    return counts


def stage_new_version(conn: Conn, schema: str, selection: ReprocessSelection, new_version: str) -> ReprocessCounts:
    """Stage copies of the selected messages of other versions under ``new_version``
    (status ``received``, same source key, new row id), in the caller's transaction. Keys
    the new version already has count as ``already_staged``; rows without their text count
    under E090."""
    counts = ReprocessCounts()
    params = {**selection.params(exclude=new_version), "new": new_version}
    _count_selection(conn, schema, selection, params, counts)
    rows = conn.execute(_q(schema, rq.COPY_CANDIDATES, selection), params).fetchall()
    counts.not_eligible = counts.selected - len(rows)
    counts.already_staged = sum(1 for r in rows if r["present"])
    counts.add(E.E090_REPROCESS_NO_TEXT, sum(1 for r in rows if not r["present"] and not r["has_text"]))
    ids = [int(r["id"]) for r in rows if r["has_text"] and not r["present"]]
    if ids:
        counts.staged = conn.execute(_q(schema, rq.COPY_TO_VERSION, selection), {"ids": ids, "new": new_version}).rowcount
        # a copy staged meanwhile by a concurrent run conflicts and is not inserted
        counts.already_staged += len(ids) - counts.staged
    return counts


# -- helpers ---------------------------------------------------------------------------------


def _count_selection(
    conn: Conn, schema: str, selection: ReprocessSelection, params: dict[str, Any], counts: ReprocessCounts,
) -> None:
    row = conn.execute(_q(schema, rq.COUNT_SELECTED, selection), params).fetchone()
    counts.selected = int(row["n"]) if row else 0
    if selection.ids:
        found = conn.execute(_q(schema, rq.COUNT_IDS, selection), params).fetchone()
        counts.add(E.E092_REPROCESS_UNKNOWN_ID, len(set(selection.ids)) - (int(found["n"]) if found else 0))
        return  # source quarantines have no message id to select them by
    for r in conn.execute(_q(schema, rq.SOURCE_QUARANTINE, selection), params).fetchall():
        counts.source_quarantine[str(r["reason_code"])] = int(r["n"])
    counts.add(E.E091_REPROCESS_SOURCE_QUARANTINE, sum(counts.source_quarantine.values()))


def _q(schema: str, template: str, selection: ReprocessSelection) -> sql.Composed:
    column = PERIOD_FIELDS[selection.period_field]
    return sql.SQL(template).format(s=sql.Identifier(schema), field=sql.Identifier(column))


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
