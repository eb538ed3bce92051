"""The store's record of FHIR Bulk Data exports (table ``bulk_exports``, migration 0006).

One row per export job: kicked off (``exporting``), manifest read (``downloading``), every
file staged (``complete``), or given up (``failed``; ``expired`` when the server no longer
knows the job). Per output file, ``files[url]`` is the checkpoint of what is staged:
``{"lines": n, "bytes": b, "done": bool}``. The watermark of a source and export key is the
``transaction_time`` of its last complete export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg import errors as pg_errors
from psycopg.types.json import Jsonb

from intakeflow.errors import E, SourceError
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import RunRef

OPEN_STATES = ("exporting", "downloading")


@dataclass
class ExportJob:
    """A row of ``bulk_exports``."""

    id: int
    source: str
    export_key: str
    status_url: str
    since: datetime | None
    state: str
    transaction_time: datetime | None = None
    manifest: dict[str, Any] | None = None
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False


class BulkExportLog:
    """Read and write ``bulk_exports`` of ``store``'s schema (each call its own transaction)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _sql(self, template: str) -> Any:
        return self.store._q(template)

    def open_job(self, source: str, export_key: str) -> ExportJob | None:
        """The unfinished export of this source and key (at most one), else None."""
        with self.store._conn() as conn:
            row = conn.execute(self._sql(
                "SELECT * FROM {s}.bulk_exports WHERE source = %(source)s AND export_key = %(key)s "
                "AND state IN ('exporting', 'downloading') ORDER BY id DESC LIMIT 1"),
                {"source": source, "key": export_key}).fetchone()
        return _job(row) if row else None

    def watermark(self, source: str, export_key: str) -> datetime | None:
        """``transactionTime`` of the last complete export (the next one's ``_since``)."""
        with self.store._conn() as conn:
            row = conn.execute(self._sql(
                "SELECT max(transaction_time) AS t FROM {s}.bulk_exports WHERE source = %(source)s "
                "AND export_key = %(key)s AND state = 'complete'"), {"source": source, "key": export_key}).fetchone()
        return row["t"] if row else None

    def watermark_text(self, source: str, export_key: str) -> str | None:
        """The watermark as the server wrote it (the manifest's ``transactionTime``), to send
        back verbatim as ``_since``."""
        with self.store._conn() as conn:
            row = conn.execute(self._sql(
                "SELECT manifest->>'transactionTime' AS t FROM {s}.bulk_exports WHERE source = %(source)s "
                "AND export_key = %(key)s AND state = 'complete' ORDER BY transaction_time DESC NULLS LAST, id DESC "
                "LIMIT 1"), {"source": source, "key": export_key}).fetchone()
        return row["t"] if row else None

    def start(self, source: str, export_key: str, status_url: str, since: datetime | None,
              run: RunRef | None = None) -> ExportJob:
        run = run or RunRef()
        try:
            with self.store._conn() as conn, conn.transaction():
                row = conn.execute(self._sql(
                    "INSERT INTO {s}.bulk_exports (source, export_key, status_url, since, run_id, dag_id) "
                    "VALUES (%(source)s, %(key)s, %(url)s, %(since)s, %(run)s, %(dag)s) RETURNING *"),
                    {"source": source, "key": export_key, "url": status_url, "since": since, "run": run.run_id,
                     "dag": run.dag_id}).fetchone()
        except pg_errors.UniqueViolation:
            raise SourceError(E.E038_FHIR_BULK_FAILED, why="another export of this source and key is unfinished") from None
        assert row is not None
        return _job(row)

    def set_manifest(self, job: ExportJob, manifest: dict[str, Any], transaction_time: datetime) -> ExportJob:
        with self.store._conn() as conn, conn.transaction():
            conn.execute(self._sql(
                "UPDATE {s}.bulk_exports SET state = 'downloading', manifest = %(m)s, transaction_time = %(t)s, "
                "updated_at = now() WHERE id = %(id)s"), {"m": Jsonb(manifest), "t": transaction_time, "id": job.id})
        job.state, job.manifest, job.transaction_time = "downloading", manifest, transaction_time
        return job

    def checkpoint(self, job: ExportJob, url: str, progress: dict[str, Any]) -> None:
        """Record what of file ``url`` is staged (after the batch committed)."""
        with self.store._conn() as conn, conn.transaction():
            conn.execute(self._sql(
                "UPDATE {s}.bulk_exports SET files = jsonb_set(files, ARRAY[%(url)s], %(p)s), updated_at = now() "
                "WHERE id = %(id)s"), {"url": url, "p": Jsonb(progress), "id": job.id})
        job.files[url] = dict(progress)

    def finish(self, job: ExportJob, state: str, counts: dict[str, Any] | None = None) -> None:
        """``complete`` (the watermark moves to its transaction time), ``failed`` or ``expired``."""
        with self.store._conn() as conn, conn.transaction():
            conn.execute(self._sql(
                "UPDATE {s}.bulk_exports SET state = %(state)s, counts = counts || %(c)s, updated_at = now(), "
                "completed_at = CASE WHEN %(state)s = 'complete' THEN now() END WHERE id = %(id)s"),
                {"state": state, "c": Jsonb(counts or {}), "id": job.id})
        job.state = state
        job.counts.update(counts or {})

    def mark_deleted(self, job: ExportJob) -> None:
        with self.store._conn() as conn, conn.transaction():
            conn.execute(self._sql("UPDATE {s}.bulk_exports SET deleted = TRUE, updated_at = now() WHERE id = %(id)s"),
                         {"id": job.id})
        job.deleted = True

    def get(self, job_id: int) -> ExportJob | None:
        with self.store._conn() as conn:
            row = conn.execute(self._sql("SELECT * FROM {s}.bulk_exports WHERE id = %(id)s"), {"id": job_id}).fetchone()
        return _job(row) if row else None

    def jobs(self, source: str) -> list[ExportJob]:
        with self.store._conn() as conn:
            rows = conn.execute(self._sql("SELECT * FROM {s}.bulk_exports WHERE source = %(source)s ORDER BY id"),
                                {"source": source}).fetchall()
        return [_job(r) for r in rows]


def _job(row: dict[str, Any]) -> ExportJob:
    return ExportJob(
        id=int(row["id"]), source=row["source"], export_key=row["export_key"], status_url=row["status_url"],
        since=row["since"], state=row["state"], transaction_time=row["transaction_time"], manifest=row["manifest"],
        files=dict(row["files"] or {}), counts=dict(row["counts"] or {}), deleted=bool(row["deleted"]),
    )
