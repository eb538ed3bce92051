"""A FHIR Bulk Data export staged in the store, resumable and incremental (no Airflow).

``BulkExporter.run()`` = :meth:`~BulkExporter.begin` (resume the unfinished export of this
source and export key, else kick one off with ``_since`` = the watermark) ->
:meth:`~BulkExporter.wait` (poll the status URL by its ``Retry-After``) ->
:meth:`~BulkExporter.download` (stream each NDJSON file and stage it through
``ndjson_items`` and ``Store.stage``: the same path as ``intakeflow stage fhir``). The Airflow
operator runs the same three steps with the wait in a trigger.

Exactly once: each batch of ``lines_per_batch`` lines is staged in its own transaction and
then checkpointed (``bulk_exports.files``: lines and bytes staged). A download killed at any
point resumes from the last checkpoint, by HTTP Range when the server serves ranges, else
by skipping the lines already staged; staging is idempotent on the resource id (the
``(source, source_id, version)`` key), so the at most one batch read twice after a kill
counts as duplicates, never as second rows. Lines of the manifest's error files
(OperationOutcome) are quarantined with E039, keyed by file and line, so they too are
recorded once. When every file is staged the export is ``complete``: its ``transactionTime``
becomes the watermark, and the job is DELETEd at the server.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from intakeflow.errors import E, SourceError
from intakeflow.results import Quarantined, SourceItem
from intakeflow.sources.fhir_bulk import (
    ExportRequest,
    FileProgress,
    Manifest,
    OutputFile,
    Status,
    delete,
    format_instant,
    kick_off,
    open_file,
    outcome_summary,
    parse_instant,
    poll,
)
from intakeflow.sources.fhir_client import FhirClient
from intakeflow.sources.fhir_files import DEFAULT_STATUSES, ndjson_items, quarantiner
from intakeflow.store.pg_bulk import BulkExportLog, ExportJob
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import RunRef

log = logging.getLogger(__name__)

#: lines per staged (and checkpointed) batch
LINES_PER_BATCH = 1000
#: a broken download of one file is resumed in the same run this many times
MAX_RESUMES = 3
#: how long :meth:`BulkExporter.wait` polls before giving up (the job stays, a rerun resumes it)
MAX_WAIT_S = 6 * 3600.0


@dataclass
class ExportCounts:
    """What one run did. ``staged``/``duplicates``/``quarantined``/``filtered`` as for
    ``intakeflow stage``; ``outcome_lines``: error-file lines quarantined (E039, also in
    ``quarantined``); ``resumed_files``: files resumed from a checkpoint (by Range or by
    skipping lines)."""

    staged: int = 0
    duplicates: int = 0
    quarantined: int = 0
    filtered: int = 0
    outcome_lines: int = 0
    files: int = 0
    lines: int = 0
    resumed_files: int = 0
    job_id: int | None = None
    since: str | None = None
    transaction_time: str | None = None
    deleted: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class BulkExporter:
    """One source's Bulk Data export into ``store``.

    :param client: FHIR client of the server (its auth: SMART Backend Services and so on).
    :param store: the staging store (migrated).
    :param request: level, group, types and an explicit ``since``.
    :param source: staging source name (``fhir`` or ``fhir:<name>``), also the watermark's.
    :param statuses: Communication statuses staged (others are filtered); None: all.
    :param run: the run recorded on staged rows and the export.
    :param delete_job: DELETE the job at the server once everything is staged.
    """

    def __init__(
        self,
        client: FhirClient,
        store: Store,
        request: ExportRequest | None = None,
        *,
        source: str = "fhir",
        statuses: frozenset[str] | None = DEFAULT_STATUSES,
        run: RunRef | None = None,
        delete_job: bool = True,
        lines_per_batch: int = LINES_PER_BATCH,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float = MAX_WAIT_S,
        on_batch: Callable[[ExportCounts], None] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.request = request or ExportRequest()
        self.source = source
        self.statuses = statuses
        self.run_ref = run or RunRef()
        self.delete_job = delete_job
        self.lines_per_batch = max(1, lines_per_batch)
        self.sleep = sleep
        self.max_wait_s = max_wait_s
        self.on_batch = on_batch
        self.exports = BulkExportLog(store)

    # -- the three steps ---------------------------------------------------------------------

    def begin(self) -> ExportJob:
        """The unfinished export of this source and key (a killed or deferred run), else a new
        one kicked off with ``_since`` = the explicit ``since``, else the watermark."""
        job = self.exports.open_job(self.source, self.request.key)
        if job is not None:
            log.info("resuming Bulk Data export %d (%s)", job.id, job.state)
            return job
        if self.request.since is not None:
            since_text: str | None = format_instant(self.request.since)
        else:  # the server's own transactionTime, sent back as it wrote it
            since_text = self.exports.watermark_text(self.source, self.request.key)
        status_url = kick_off(self.client, self.request, since_text)
        since = parse_instant(since_text) if since_text else None
        return self.exports.start(self.source, self.request.key, status_url, since, self.run_ref)

    def check(self, job: ExportJob) -> Status:
        """Poll once; a job the server no longer knows is marked ``expired``, a failed one
        ``failed`` (both raise E038)."""
        try:
            return poll(self.client, job.status_url)
        except SourceError as exc:
            if exc.code_id == "E038":
                self.exports.finish(job, "expired" if exc.params.get("gone") else "failed")
            raise

    def wait(self, job: ExportJob) -> Manifest:
        """Poll until the manifest is there, waiting each time as the server's Retry-After says."""
        deadline = time.monotonic() + self.max_wait_s
        while True:
            status = self.check(job)
            if status.done:
                assert status.manifest is not None
                return status.manifest
            if time.monotonic() >= deadline:
                raise SourceError(E.E038_FHIR_BULK_FAILED, why="the export was not ready in time; a rerun resumes it")
            log.info("Bulk Data export %d: %s", job.id, status.progress or "in progress")
            self.sleep(status.wait_s())

    def download(self, job: ExportJob, manifest: Manifest | None = None) -> ExportCounts:
        """Stage every output file and quarantine every error-file line, from the checkpoints;
        then mark the export complete and DELETE the job."""
        if manifest is not None and job.state == "exporting":
            self.exports.set_manifest(job, manifest.raw, manifest.transaction_time)
        elif manifest is None:
            if job.manifest is None:
                raise SourceError(E.E038_FHIR_BULK_FAILED, why="export has no manifest yet")
            manifest = Manifest.parse(job.manifest)
        counts = ExportCounts(job_id=job.id, since=format_instant(job.since) if job.since else None,
                              transaction_time=format_instant(manifest.transaction_time))
        filtered: Counter[str] = Counter()
        for out in manifest.output:
            if self.request.types and out.type and out.type not in self.request.types:
                continue  # a type the server added: not asked for
            self._file(job, out, manifest.requires_access_token, counts, filtered, outcome=False)
        for err in manifest.error:
            self._file(job, err, manifest.requires_access_token, counts, filtered, outcome=True)
        counts.filtered = sum(filtered.values())
        self.exports.finish(job, "complete", {k: v for k, v in counts.as_dict().items() if isinstance(v, int)})
        if self.delete_job and delete(self.client, job.status_url):
            self.exports.mark_deleted(job)
            counts.deleted = True
        log.info("Bulk Data export %d complete: %s", job.id, json.dumps(counts.as_dict()))
        return counts

    def run(self) -> ExportCounts:
        """begin -> wait -> download; an export the server forgot (expired) is started again
        once, from the same watermark."""
        for attempt in (1, 2):
            job = self.begin()
            try:
                manifest = self.wait(job) if job.state == "exporting" else None
                return self.download(job, manifest)
            except SourceError as exc:
                if exc.params.get("gone") and attempt == 1:
                    log.warning("Bulk Data export %d expired at the server; starting a new one", job.id)
                    continue
                raise
        raise AssertionError("unreachable")

    # -- files -------------------------------------------------------------------------------

    def _file(self, job: ExportJob, out: OutputFile, requires_token: bool, counts: ExportCounts,
              filtered: Counter[str], *, outcome: bool) -> None:
        progress = FileProgress.of(job.files.get(out.url))
        counts.files += 1
        if progress.done:
            return
        origin = f"bulk-export-{job.id}/{_file_name(out.url)}"
        for attempt in range(MAX_RESUMES + 1):
            try:
                self._stream(job, out, origin, progress, requires_token, counts, filtered, outcome=outcome)
                return
            except httpx.TransportError as exc:  # the connection broke mid-file: resume from the checkpoint
                if attempt == MAX_RESUMES:
                    raise SourceError(E.E034_FHIR_UNREACHABLE, method="GET", resource="Bulk Data file",
                                      attempts=attempt + 1, kind=type(exc).__name__) from None
                log.warning("Bulk Data file %s broke off (%s) after %d lines; resuming", origin, type(exc).__name__,
                            progress.lines)
            except SourceError as exc:
                if exc.code_id == "E030" and exc.params.get("status") in (404, 410):
                    self.exports.finish(job, "expired")
                    raise SourceError(E.E038_FHIR_BULK_FAILED, why="an output file is gone at the server",
                                      gone=True) from None
                raise

    def _stream(self, job: ExportJob, out: OutputFile, origin: str, progress: FileProgress, requires_token: bool,
                counts: ExportCounts, filtered: Counter[str], *, outcome: bool) -> None:
        with open_file(self.client, out.url, progress, requires_token=requires_token) as stream:
            if stream.resumed != "no":
                counts.resumed_files += 1
            progress.ranged = stream.ranged
            batch: list[bytes] = []
            first = stream.first_line
            for line, number, offset in stream.lines():
                batch.append(line)
                if len(batch) >= self.lines_per_batch:
                    self._commit(job, out.url, origin, batch, first, progress, number, offset, counts, filtered,
                                 outcome=outcome)
                    batch, first = [], number + 1
            if batch:
                self._commit(job, out.url, origin, batch, first, progress, first + len(batch) - 1, offset, counts,
                             filtered, outcome=outcome)
        progress.done = True
        self.exports.checkpoint(job, out.url, progress.as_dict())

    def _commit(self, job: ExportJob, url: str, origin: str, lines: list[bytes], first: int, progress: FileProgress,
                last: int, offset: int, counts: ExportCounts, filtered: Counter[str], *, outcome: bool) -> None:
        if outcome:
            items: Iterable[SourceItem] = list(outcome_items(lines, origin, self.source, first))
        else:
            items = list(ndjson_items(lines, origin, source=self.source, statuses=self.statuses, filtered=filtered,
                                      first_line=first))
        staged = self.store.stage(items, self.run_ref.run_id or f"bulk-export-{job.id}", self.run_ref.dag_id)
        counts.staged += staged.staged
        counts.duplicates += staged.duplicates
        counts.quarantined += staged.quarantined
        counts.lines += len(lines)
        if outcome:
            counts.outcome_lines += staged.quarantined
        progress.lines, progress.bytes = last, offset
        self.exports.checkpoint(job, url, progress.as_dict())
        if self.on_batch is not None:
            self.on_batch(counts)


def outcome_items(lines: Iterable[bytes], origin: str, source: str, first_line: int = 1) -> Iterator[Quarantined]:
    """Quarantine entries (E039) for the lines of a Bulk Data error file: the
    OperationOutcome's severity and issue code, never its diagnostics (they may quote data)."""
    quarantine = quarantiner(source, origin)
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        where = f"#line{number}"
        try:
            resource = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            yield quarantine(where, "E006", E.E006_BAD_JSON.format(line=number))
            continue
        if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
            why = "error file line is not an OperationOutcome"
            yield quarantine(where, "E031", E.E031_FHIR_INVALID.format(resource="OperationOutcome", why=why))
            continue
        severity, issue = outcome_summary(resource)
        item = quarantine(where, "E039", E.E039_FHIR_BULK_OUTCOME.format(severity=severity, issue=issue))
        yield Quarantined(item.source, item.source_id, item.reason_code, item.reason,
                          {**item.meta, "severity": severity, "issue": issue})


def _file_name(url: str) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isalnum() or ch in "-_.")[:120] or "file"


def watermark_of(store: Store, source: str, request: ExportRequest) -> datetime | None:
    """The ``_since`` the next export of ``source`` and ``request`` would use."""
    return BulkExportLog(store).watermark(source, request.key)
