"""PostgreSQL staging store: stage inputs, claim work, save results, track write-back.

Guarantees:
- Idempotent: messages are unique on ``(source, source_id, pipeline_version)``; every
  write is an upsert or ``ON CONFLICT DO NOTHING``, so re-running a task never adds rows.
- Resumable: each batch commits alone. A task killed mid-batch leaves its un-saved rows
  in ``received``; the same claim token (Airflow retry of the same task instance) picks
  them up again at once, any other token after ``claim_lease_s``.
- Cheap per message: a batch is a few set-based statements (arrays in, ``unnest``), sent
  in one pipeline with its transaction; inside :meth:`Store.session` each thread keeps one
  connection (prepared statements, no connection set-up per batch). Transaction
  boundaries are the same with or without a session.
- Text policy: ``raw_text`` holds the inbound text while a message waits for processing
  and is set to NULL once it is processed or quarantined, unless ``store_raw`` is on.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from intakeflow.errors import E
from intakeflow.results import Filtered, InboundMessage, PipelineResult, Quarantined, SourceItem
from intakeflow.spans import Span
from intakeflow.store import pg_audit
from intakeflow.store import pg_queries as q
from intakeflow.store.live import check_channel_name, queue_age, staged_payload
from intakeflow.store.pg_audit import AuditConflict, AuditedOutcome, AuditEntry
from intakeflow.store.pg_migrate import check_schema_name, migrate
from intakeflow.store.pg_reprocess import ReprocessCounts, ReprocessSelection, check_request, requeue, stage_new_version
from intakeflow.store.staged import (
    QUARANTINE_CODES,
    FhirWriteRecord,
    QueueAge,
    RunRef,
    SaveCounts,
    StageCounts,
    StagedMessage,
    code_of,
)

T = TypeVar("T")
STATUSES: tuple[str, ...] = ("received", "processed", "delivered", "failed", "quarantined")


class Store:
    """The staging database of one pipeline version.

    ``dsn`` is a libpq connection string or URL. ``max_attempts`` bounds claims of one
    message; ``batch_size`` is the number of rows per transaction. ``notify_channel``: a
    staging transaction that adds rows also sends a PostgreSQL ``NOTIFY`` on this channel,
    delivered when (and only if) it commits, so a watcher wakes at once (see
    :mod:`intakeflow.store.live`); ``None`` (default): no notification.
    """

    def __init__(
        self,
        dsn: str,
        schema: str = "intakeflow",
        pipeline_version: str = "0",
        *,
        store_raw: bool = False,
        max_attempts: int = 3,
        batch_size: int = 500,
        claim_lease_s: float = 900.0,
        notify_channel: str | None = None,
    ) -> None:
        self.dsn = dsn
        self.schema = check_schema_name(schema)
        self.pipeline_version = pipeline_version
        self.store_raw = store_raw
        self.max_attempts = max_attempts
        self.batch_size = max(1, batch_size)
        self.claim_lease_s = claim_lease_s
        self.notify_channel = check_channel_name(notify_channel) if notify_channel else None
        self._held = threading.local()
        self._composed: dict[str, sql.Composed] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def connect(self) -> psycopg.Connection[dict[str, Any]]:
        return psycopg.connect(self.dsn, row_factory=dict_row)

    @contextmanager
    def session(self) -> Iterator[Store]:
        """Inside this block, store calls made by this thread share one connection (opened
        on first use, closed at the end) instead of opening one each: no connection set-up
        per batch, and psycopg prepares the statements a loop repeats. Every write still
        runs in its own transaction, so what commits when is unchanged; a broken connection
        is replaced on the next call. Nests; each thread needs its own block."""
        depth = getattr(self._held, "depth", 0)
        self._held.depth = depth + 1
        try:
            yield self
        finally:
            self._held.depth = depth
            if depth == 0:
                conn, self._held.conn = getattr(self._held, "conn", None), None
                if conn is not None:
                    conn.close()

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """The session's connection of this thread (autocommit: reads leave no transaction
        open; writes use ``conn.transaction()``), else a new one closed at the end."""
        if not getattr(self._held, "depth", 0):
            with self.connect() as conn:
                yield conn
            return
        held: psycopg.Connection[dict[str, Any]] | None = getattr(self._held, "conn", None)
        if held is None or held.closed or held.broken:
            if held is not None:
                held.close()
            held = self._held.conn = psycopg.connect(self.dsn, row_factory=dict_row, autocommit=True)
        yield held

    def _q(self, template: str) -> sql.Composed:
        composed = self._composed.get(template)
        if composed is None:
            composed = self._composed[template] = sql.SQL(template).format(s=sql.Identifier(self.schema))
        return composed

    def migrate(self) -> list[int]:
        """Create or upgrade the schema; returns the migration versions applied now."""
        with psycopg.connect(self.dsn) as conn:
            return migrate(conn, self.schema)

    # -- staging ----------------------------------------------------------------------------

    def stage(
        self, items: Iterable[SourceItem], run_id: str, dag_id: str | None = None
    ) -> StageCounts:
        """Insert new messages as ``received`` and upsert source quarantines, one
        transaction per batch. Rows already staged are counted as duplicates, untouched.
        ``dag_id`` (with ``run_id``) records which DAG run staged them, for reporting."""
        counts = StageCounts()
        for batch in _batches(items, self.batch_size):
            messages = [m for m in batch if isinstance(m, InboundMessage)]
            quarantined = _dedupe_quarantine([m for m in batch if isinstance(m, Quarantined)])
            filtered = {(m.source, m.source_id): m for m in batch if isinstance(m, Filtered)}
            with self._conn() as conn, conn.transaction():
                if messages:
                    inserted = self._copy_messages(conn, messages, run_id, dag_id)
                    counts.staged += inserted
                    counts.duplicates += len(messages) - inserted
                    if inserted and self.notify_channel:
                        # same transaction: PostgreSQL delivers it on commit, never for a rollback
                        conn.execute(q.NOTIFY_STAGED, {"channel": self.notify_channel, "payload": staged_payload(
                            self.schema, {m.source for m in messages}, inserted)})
                if quarantined:
                    self._upsert_quarantine(conn, [
                        quarantine_row(qm.source, qm.source_id, qm.reason_code, qm.reason, dict(qm.meta), RunRef(dag_id, run_id))
                        for qm in quarantined])
                    counts.quarantined += len(quarantined)
                if filtered:
                    run = RunRef(dag_id, run_id)
                    with conn.cursor() as cur:
                        cur.executemany(self._q(q.UPSERT_FILTERED), [
                            {"source": pg_safe(f.source), "source_id": pg_safe(f.source_id), "rule": f.rule,
                             "meta": Jsonb(pg_safe(dict(f.meta))), "run_id": run.run_id, "dag_id": run.dag_id}
                            for f in filtered.values()])
                    counts.filtered += len(filtered)
        return counts

    def _copy_messages(
        self, conn: psycopg.Connection[dict[str, Any]], messages: list[InboundMessage], run_id: str,
        dag_id: str | None,
    ) -> int:
        conn.execute(q.CREATE_STAGE_TEMP)
        with conn.cursor().copy(q.COPY_STAGE_TEMP) as copy:
            for m in messages:
                fields = {"source": m.source, "source_id": m.source_id, "text": m.text, "channel": m.channel,
                          "patient_ref": m.patient_ref}
                meta = dict(m.meta)
                replaced = sorted(k for k, v in {**fields, "meta": meta}.items() if has_nul(v))
                if replaced:
                    # a NUL in MSH-10, PID-3 or a FHIR id would fail the whole batch's insert:
                    # U+FFFD takes its place (same length, the same key on every re-read)
                    fields = {k: pg_safe(v) for k, v in fields.items()}
                    meta = pg_safe(meta)
                    meta["nul_replaced"] = replaced
                copy.write_row(
                    (fields["source"], fields["source_id"], self.pipeline_version, fields["text"], fields["channel"],
                     fields["patient_ref"], Jsonb(meta), m.received_at, run_id, dag_id)
                )
        cur = conn.execute(self._q(q.INSERT_FROM_STAGE_TEMP))
        return cur.rowcount

    def _upsert_quarantine(self, conn: psycopg.Connection[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
        with conn.cursor() as cur:
            cur.executemany(self._q(q.UPSERT_QUARANTINE), rows)

    # -- processing -------------------------------------------------------------------------

    def claim(
        self, limit: int, run_id: str, sources: Sequence[str] | None = None, *, exclude: Collection[int] = ()
    ) -> list[StagedMessage]:
        """Take up to ``limit`` messages to process (``received``, or ``failed`` with
        attempts left), oldest first, and count an attempt for each.

        ``run_id`` is the claim token: make it stable across retries of one task instance
        and distinct between tasks running at the same time (e.g. ``f"{run_id}:{task_id}:
        {map_index}"``). Claiming again with the same token returns rows claimed but not
        saved (resume); other tokens skip them until ``claim_lease_s`` has passed.
        Messages that used up ``max_attempts`` without a result are quarantined (E025).
        ``exclude``: ids this caller still has in flight (claimed ahead of saving), neither
        handed out again nor quarantined. Both statements go in one round trip.
        """
        params = {
            "pv": self.pipeline_version,
            "max": self.max_attempts,
            "token": run_id,
            "lease": self.claim_lease_s,
            "limit": limit,
            "sources": list(sources) if sources else None,
            "busy": list(exclude),
            "reason": E.E025_ATTEMPTS_EXHAUSTED.format(limit=self.max_attempts),
            "keep": self.store_raw,
        }
        with self._conn() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            cur.execute(self._q(q.EXHAUST), params)
            cur.execute(self._q(q.CLAIM), params)
            rows = cur.fetchall()
        return sorted((_staged(r) for r in rows), key=lambda m: m.id)

    def save_results(
        self, pairs: Iterable[tuple[StagedMessage, PipelineResult]], run: RunRef | None = None
    ) -> SaveCounts:
        """Store pipeline results, one transaction per batch; ``run`` is the DAG run that
        produced them (recorded on the rows and their quarantine entries, for reporting).

        OK results -> ``processed`` with intents, PHI offsets/types and insurance fields
        replaced (never appended). Errors with an input code (see ``QUARANTINE_CODES``) ->
        ``quarantined``; other errors -> ``failed`` (retried by :meth:`claim`), or
        ``quarantined`` once ``max_attempts`` is used up.
        """
        counts = SaveCounts()
        run = run or RunRef()
        for batch in _batches(pairs, self.batch_size):
            # the last result of an id wins, as when each was written in turn
            by_id = {staged.id: (staged, result) for staged, result in batch}
            oks = [(staged, result) for staged, result in by_id.values() if result.ok]
            errors = [(staged, result) for staged, result in by_id.values() if not result.ok]
            with self._conn() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
                counts.processed += (saved := self._save_ok(cur, oks, run))
                counts.skipped += len(oks) - saved
                for outcome in self._save_errors(cur, errors, run):
                    setattr(counts, outcome, getattr(counts, outcome) + 1)
            counts.skipped += len(batch) - len(by_id)
        return counts

    def _save_ok(
        self, cur: psycopg.Cursor[dict[str, Any]], oks: list[tuple[StagedMessage, PipelineResult]], run: RunRef
    ) -> int:
        """The OK results of a batch: three set-based statements for the whole batch (arrays
        in), pipelined with the transaction; returns how many rows took their result (rows
        delivered meanwhile keep what they had)."""
        if not oks:
            return 0
        rows = [{
            "id": staged.id, "redacted": r.redacted_text, "timings": _timings(r), "fallback_calls": r.fallback_calls,
            "fallback_usd": float(r.fallback_usd), "intent": r.intent, "confidence": float(r.intent_confidence),
            "review": bool(r.needs_review), "queue": r.queue, "normalised": r.insurance_json,
            "spans": [{**sp.to_json(), "source": sp.source} for sp in r.insurance],
        } for staged, r in oks]
        cur.execute(self._q(q.SAVE_OK), {"rows": json_rows(rows), "keep": self.store_raw, "dag_id": run.dag_id,
                                         "run_id": run.run_id})
        saved = len(cur.fetchall())
        if saved:
            cur.execute(self._q(q.DELETE_SAVED_PHI), {"ids": [staged.id for staged, _ in oks]})
            phi = [{"id": staged.id, "start_offset": sp.start, "end_offset": sp.end, "phi_type": sp.label,
                    "detector": sp.source, "score": float(sp.score)}
                   for staged, r in oks for sp in _unique_spans(r.phi)]
            if phi:
                cur.execute(self._q(q.INSERT_SAVED_PHI), {"rows": json_rows(phi)})
        return saved

    def _save_errors(
        self, cur: psycopg.Cursor[dict[str, Any]], errors: list[tuple[StagedMessage, PipelineResult]], run: RunRef
    ) -> list[str]:
        """Error results of a batch in one statement: ``failed`` (claimed again until
        ``max_attempts``) or ``quarantined`` with its quarantine row; one outcome per
        result (``skipped``: the row was delivered meanwhile)."""
        if not errors:
            return []
        codes = [code_of(r.error_code) for _, r in errors]
        terminal = [code in QUARANTINE_CODES or staged.attempts >= self.max_attempts
                    for code, (staged, _) in zip(codes, errors, strict=True)]
        rows = [{
            "id": staged.id, "status": "quarantined" if final else "failed", "code": code, "reason": r.error or code,
            "keep": self.store_raw or not final, "timings": _timings(r), "fallback_calls": r.fallback_calls,
            "fallback_usd": float(r.fallback_usd),
        } for code, final, (staged, r) in zip(codes, terminal, errors, strict=True)]
        cur.execute(self._q(q.SAVE_ERRORS), {"rows": json_rows(rows), "dag_id": run.dag_id, "run_id": run.run_id})
        took = {int(row["id"]): str(row["status"]) for row in cur.fetchall()}
        return [took.get(staged.id, "skipped") for staged, _ in errors]

    # -- write-back -------------------------------------------------------------------------

    def pending_writeback(
        self, limit: int, sources: Sequence[str] | None = None
    ) -> list[tuple[StagedMessage, PipelineResult]]:
        """Processed, not yet delivered messages with their stored results, oldest first.

        Not locked: write-back is idempotent on the FHIR side, so two writers at once
        cost a request, never a duplicate resource.
        """
        with self._conn() as conn:
            rows = conn.execute(self._q(q.PENDING_WRITEBACK), {
                "pv": self.pipeline_version, "limit": limit,
                "sources": list(sources) if sources else None}).fetchall()
        return [(_staged(r), _result(r)) for r in rows]

    def record_fhir_writes(self, message_id: int, records: Iterable[FhirWriteRecord]) -> None:
        """Upsert what the write-back did per resource role (one row per message and role).
        A write without a failed record clears the message's earlier failed rows of other
        roles (the ``bundle`` row of a failed attempt): the table tells the current state.
        One message's part of :meth:`record_writeback`."""
        self.record_writeback({message_id: list(records)})

    def record_writeback(
        self,
        records: Mapping[int, Sequence[FhirWriteRecord]],
        delivered: Collection[int] = (),
        quarantine: Mapping[int, tuple[str, str]] | None = None,
    ) -> int:
        """One write-back pass over many messages in one transaction (one round trip):
        upsert each message's ``records`` (as :meth:`record_fhir_writes`, clearing the
        superseded failed rows of a write without failures), set ``delivered`` ids to
        ``delivered`` (as :meth:`mark_delivered`) and quarantine ``quarantine`` ids with
        their (code, catalogue reason) (as :meth:`quarantine_message`). Returns how many
        messages became ``delivered``."""
        rows: dict[tuple[int, str], dict[str, Any]] = {}
        clean: list[int] = []
        for message_id, recs in records.items():
            for r in recs:
                rows[(message_id, r.role)] = {"id": message_id, "role": r.role, "type": r.resource_type,
                                              "fhir_id": r.fhir_id, "version": r.version_id, "status": r.status,
                                              "code": r.reason_code}
            if recs and all(r.status != "failed" for r in recs):
                clean.append(message_id)
        moved = [{"id": i, "code": code, "reason": reason} for i, (code, reason) in (quarantine or {}).items()]
        ids = list(delivered)
        if not (rows or ids or moved):
            return 0
        with self._conn() as conn, conn.pipeline(), conn.transaction(), conn.cursor() as cur:
            if rows:
                cur.execute(self._q(q.UPSERT_FHIR_WRITES), {"rows": json_rows(list(rows.values()))})
            if clean:
                cur.execute(self._q(q.CLEAR_FAILED_WRITES_OF), {"ids": clean})
            if moved:
                cur.execute(self._q(q.QUARANTINE_MESSAGES), {"rows": json_rows(moved), "keep": self.store_raw})
            if not ids:
                return 0
            cur.execute(self._q(q.MARK_DELIVERED_RETURNING), {"ids": ids})
            return len(cur.fetchall())

    def mark_delivered(self, ids: Iterable[int]) -> int:
        """Set processed messages to ``delivered``; returns how many changed."""
        id_list = list(ids)
        if not id_list:
            return 0
        with self._conn() as conn, conn.transaction():
            return conn.execute(self._q(q.MARK_DELIVERED), {"ids": id_list}).rowcount

    def quarantine_message(self, message_id: int, code: str, reason: str) -> bool:
        """Quarantine a processed message whose write-back can never succeed (e.g. E031)."""
        with self._conn() as conn, conn.transaction():
            row = conn.execute(self._q(q.QUARANTINE_MESSAGE), {
                "id": message_id, "code": code, "reason": reason, "keep": self.store_raw}).fetchone()
            if row is None:
                return False
            conn.execute(self._q(q.UPSERT_QUARANTINE), quarantine_row(
                row["source"], row["source_id"], code, reason, {"message_id": message_id, "stage": "writeback"}))
        return True

    # -- reprocessing -----------------------------------------------------------------------

    def reprocess(self, selection: ReprocessSelection, new_version: str | None = None) -> ReprocessCounts:
        """Re-run failed or quarantined messages (same rows, same ids) or, with
        ``new_version``, stage copies of the selected messages under that version beside
        the old results. Needs the raw text (``store_raw``); see ``pg_reprocess``."""
        check_request(selection, new_version)
        with self._conn() as conn, conn.transaction():
            return self._reprocess_in(conn, selection, new_version)

    def reprocess_audited(
        self, selection: ReprocessSelection, entry: AuditEntry, new_version: str | None = None
    ) -> AuditedOutcome:
        """``reprocess`` with its audit row (``pg_audit``), both in one transaction: the row is
        inserted first, keyed by ``entry.request_id``; when that request was recorded before
        (a double submit) nothing is done and the first outcome is returned (``repeated``).
        A request id recorded for another user, action or message set raises AuditConflict."""
        check_request(selection, new_version)
        entry.check()
        params = entry.params()
        with self._conn() as conn, conn.transaction():
            row = conn.execute(self._q(pg_audit.INSERT), params).fetchone()
            if row is None:
                prior = conn.execute(self._q(pg_audit.BY_REQUEST), params).fetchone()
                if prior is None or (prior["action"], prior["username"], sorted(prior["message_ids"] or [])) != (
                        entry.action, entry.username, params["ids"]):
                    raise AuditConflict()
                return AuditedOutcome(int(prior["id"]), prior["at"], dict(prior["result"] or {}), repeated=True)
            counts = self._reprocess_in(conn, selection, new_version).as_dict()
            conn.execute(self._q(pg_audit.SET_RESULT), {"id": row["id"], "result": Jsonb(counts)})
        return AuditedOutcome(int(row["id"]), row["at"], counts)

    def _reprocess_in(
        self, conn: psycopg.Connection[dict[str, Any]], selection: ReprocessSelection, new_version: str | None
    ) -> ReprocessCounts:
        if new_version is None:
            return requeue(conn, self.schema, selection, lease_s=self.claim_lease_s)
        return stage_new_version(conn, self.schema, selection, new_version)

    # -- reporting --------------------------------------------------------------------------

    def record_run(self, run_id: str, dag_id: str, stats: Mapping[str, Any],
                   timings_ms: Mapping[str, float] | None = None) -> None:
        """Upsert run statistics; keys given again overwrite, other keys are kept (several
        tasks of one run may report)."""
        with self._conn() as conn, conn.transaction():
            conn.execute(self._q(q.UPSERT_RUN), {
                "dag": dag_id, "run": run_id, "counts": Jsonb(dict(stats)), "timings": Jsonb(dict(timings_ms or {}))})

    def run_stats(self, run_id: str, dag_id: str) -> dict[str, Any] | None:
        with self._conn() as conn:
            row = conn.execute(self._q(q.SELECT_RUN), {"dag": dag_id, "run": run_id}).fetchone()
        return dict(row) if row else None

    def queue_ages(self, sources: Sequence[str] | None = None) -> dict[str, QueueAge]:
        """What waits for processing, per source (only sources with queued rows): how many
        rows are in status ``received``, how many of them a run holds, and the age in seconds
        of the oldest one (and of the oldest unclaimed one), by staging time. Every pipeline
        version counts, so rows no worker will claim show up as ageing. For a watchdog: the
        oldest queued age of a source is how late its feed is. One indexed query."""
        with self._conn() as conn:
            rows = conn.execute(self._q(q.QUEUE_AGES), {"sources": list(sources) if sources else None}).fetchall()
        return {str(r["source"]): queue_age(r) for r in rows}

    def counts(self) -> dict[str, int]:
        """Message rows of this pipeline version per status, plus ``quarantine_rows``
        (all sources and versions) and ``total``."""
        out = dict.fromkeys(STATUSES, 0)
        with self._conn() as conn:
            for row in conn.execute(self._q(q.COUNT_STATUS), {"pv": self.pipeline_version}).fetchall():
                out[row["status"]] = int(row["n"])
            qrow = conn.execute(self._q(q.COUNT_QUARANTINE)).fetchone()
            frow = conn.execute(self._q(q.COUNT_FILTERED)).fetchone()
        out["total"] = sum(out[s] for s in STATUSES)
        out["quarantine_rows"] = int(qrow["n"]) if qrow else 0
        out["filtered_rows"] = int(frow["n"]) if frow else 0
        return out


# -- helpers ---------------------------------------------------------------------------------


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _dedupe_quarantine(items: list[Quarantined]) -> list[Quarantined]:
    """ON CONFLICT DO UPDATE cannot touch one row twice in a statement batch; keep the last."""
    by_key = {(qm.source, qm.source_id): qm for qm in items}
    return list(by_key.values())


def quarantine_row(
    source: str, source_id: str, code: str, reason: str, meta: Mapping[str, Any], run: RunRef | None = None
) -> dict[str, Any]:
    """Parameters of ``UPSERT_QUARANTINE``; ``reason`` must be catalogue text, never message text."""
    run = run or RunRef()
    return {"source": pg_safe(source), "source_id": pg_safe(source_id), "code": code, "reason": reason,
            "meta": Jsonb(pg_safe(dict(meta))), "run_id": run.run_id, "dag_id": run.dag_id}


def has_nul(value: Any) -> bool:
    """A NUL anywhere in ``value`` (strings, dict keys and values, list items)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def pg_safe(value: Any) -> Any:
    """``value`` with every NUL, which PostgreSQL text and jsonb cannot hold, replaced by
    U+FFFD (strings keep their length), in dict keys and values and list items too."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, dict):
        return {pg_safe(k): pg_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [pg_safe(v) for v in value]
    return value


def json_rows(rows: list[dict[str, Any]]) -> str:
    """The rows of a set-based statement as one JSON document (``%(rows)s::jsonb``).

    PostgreSQL quotes the document around a JSON error in its message, and a row may hold
    (redacted) message text: so a document it would refuse is never sent. NaN and
    infinities (JSON has none) become the strings float8 reads back as the same value; a
    NUL or a lone surrogate (neither fits PostgreSQL text) becomes U+FFFD, as at staging.
    The check costs one dump in the common case."""
    try:
        doc = json.dumps(rows, ensure_ascii=False, allow_nan=False)
        doc.encode("utf-8")  # a lone surrogate fails here
    except (ValueError, UnicodeEncodeError):  # ValueError: NaN or infinity
        return json.dumps(_json_safe(rows), ensure_ascii=False)
    if "\\u0000" in doc:  # a NUL (or text that spells its escape: harmless to clean)
        return json.dumps(_json_safe(rows), ensure_ascii=False)
    return doc


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_safe(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value.replace("\x00", "\ufffd"))
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _timings(result: PipelineResult) -> dict[str, float]:
    """The stage timings a saved result records (ms, 3 decimals)."""
    return {k: round(float(v), 3) for k, v in result.timings_ms.items()}


def _unique_spans(spans: list[Span]) -> list[Span]:
    seen: dict[tuple[int, int, str], Span] = {}
    for s in spans:
        seen.setdefault(s.key(), s)
    return list(seen.values())


def _staged(row: Mapping[str, Any]) -> StagedMessage:
    received: datetime | None = row.get("received_at")
    return StagedMessage(
        id=int(row["id"]), source=row["source"], source_id=row["source_id"],
        pipeline_version=row["pipeline_version"], text=row.get("raw_text") or "",
        channel=row.get("channel"), patient_ref=row.get("patient_ref"), received_at=received,
        attempts=int(row.get("attempts") or 0), meta=dict(row.get("meta") or {}),
    )


def _result(row: Mapping[str, Any]) -> PipelineResult:
    return PipelineResult(
        id=str(row["id"]),
        intent=row.get("intent"),
        intent_confidence=float(row.get("confidence") or 0.0),
        needs_review=bool(row.get("needs_review", True)),
        queue=row.get("queue"),
        phi=[Span(int(s["start"]), int(s["end"]), str(s["label"]), source=str(s.get("source") or "stored"))
             for s in row.get("phi") or []],
        insurance=[Span.from_json(s, source=str(s.get("source") or "stored"))
                   for s in row.get("insurance_spans") or []],
        redacted_text=row.get("redacted_text"),
        insurance_json=dict(row.get("normalised") or {}),
        pipeline_version=row["pipeline_version"],
    )
