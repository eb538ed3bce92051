"""Write processed messages back to a FHIR server in idempotent transaction Bundles.

``FhirWriter.write_many`` (what ``deliver_pending`` uses) sends the entries of up to
``bundle_size`` messages as one transaction Bundle: one request and one server commit for
many messages. The server applies a transaction whole or not at all, so when it refuses
the Bundle for one entry (4xx: an invalid resource, a failed ``If-Match``, a conflict) the
Bundle is split in halves and sent again, down to single messages, whose failure is then
coded for that message alone (``FhirWriter.write``, which also retries ``If-Match``
conflicts); the other messages are written. A 5xx, 429 or transport failure (after the
client's own retries) leaves every message of the Bundle pending for the next pass.

Per message: (FHIR-sourced only) the source Communication gets the intent coding in
``category`` and ``priority`` urgent for clinical concerns, sent as PUT with ``If-Match``
on the version just read; a redacted derived Communication, a routing Task, a Coverage
(when the insurance JSON has payer, member id and a patient) and a Provenance are created
with ``ifNoneExist`` on identifiers/tags this project owns, so sending twice creates nothing
new. HL7-sourced messages have no source Communication: only the derived resources.
The source Communication is assumed to live on the server the writer talks to.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any

from intakeflow.errors import E, IntakeflowError, SinkError, SourceError
from intakeflow.results import PipelineResult
from intakeflow.sources.fhir_client import FhirClient
from intakeflow.store.staged import FhirWriteRecord, StagedMessage
from intakeflow.writeback import resources as fr

if TYPE_CHECKING:
    from intakeflow.store.pg_store import Store

DEFAULT_SOFTWARE = "intakeflow"
#: messages per transaction Bundle (each is 3-5 entries)
DEFAULT_BUNDLE_SIZE = 25
#: answers to a whole Bundle that one entry can cause (invalid resource, failed If-Match or
#: conditional match, conflict, a reference to nothing): split the Bundle to isolate it.
#: Others (401/403, 5xx, 429, transport) would fail every part alike: not split.
SPLIT_STATUSES: frozenset[int] = frozenset({400, 404, 409, 412, 422})


def is_fhir_sourced(staged: StagedMessage) -> bool:
    """Messages staged by the FHIR source (``source`` ``fhir`` or ``fhir:<name>``)."""
    return staged.source == "fhir" or staged.source.startswith("fhir:")


@dataclass
class WriteOutcome:
    """``status``: ``written`` (delivered), ``invalid`` (E031: quarantine the message) or
    ``failed`` (transient: leave it for the next run)."""

    message_id: int
    status: str
    records: list[FhirWriteRecord] = field(default_factory=list)
    error_code: str | None = None
    error: str | None = None


def build_bundle(
    staged: StagedMessage,
    result: PipelineResult,
    source_resource: dict[str, Any] | None = None,
    *,
    software: str = DEFAULT_SOFTWARE,
    recorded: datetime | None = None,
) -> dict[str, Any]:
    """The transaction Bundle for one message; raises SinkError E031 when a resource fails
    R4B validation. ``source_resource`` is the current source Communication (FHIR-sourced
    messages), read just before so its version goes into ``If-Match``."""
    entries, roles = message_entries(staged, result, source_resource, software=software, recorded=recorded)
    bundle = transaction_bundle(entries)
    bundle["_roles"] = roles  # stripped before sending; keeps response entries attributable
    return bundle


def transaction_bundle(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """A transaction Bundle of ``entries`` whose resources are validated already: the
    envelope (``fullUrl``, ``request``) is validated here without validating every
    resource a second time."""
    fr.validated({"resourceType": "Bundle", "type": "transaction",
                  "entry": [{k: v for k, v in e.items() if k != "resource"} for e in entries]})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def message_entries(
    staged: StagedMessage,
    result: PipelineResult,
    source_resource: dict[str, Any] | None = None,
    *,
    software: str = DEFAULT_SOFTWARE,
    recorded: datetime | None = None,
) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """The Bundle entries of one message (each resource validated; SinkError E031 if one
    fails) and the (role, resource type) of each, in order. Entry ``fullUrl``s derive from
    the message's idempotency key, so entries of many messages can share one Bundle."""
    if not result.ok or not result.intent:
        raise SinkError(E.E031_FHIR_INVALID, resource="Bundle", why="result has no intent")
    key = fr.idempotency_key(staged)
    entries: list[dict[str, Any]] = []
    roles: list[tuple[str, str]] = []
    source_ref: str | None = None
    if source_resource is not None:
        source_ref = f"Communication/{source_resource['id']}"
        updated = fr.updated_source_communication(source_resource, result.intent)
        if updated is not None:
            request: dict[str, Any] = {"method": "PUT", "url": source_ref}
            version = (source_resource.get("meta") or {}).get("versionId")
            if version:
                request["ifMatch"] = f'W/"{version}"'
            entries.append({"fullUrl": source_ref, "resource": updated, "request": request})
            roles.append(("source", "Communication"))

    derived_url = fr.entry_uuid(key, "derived")
    derived = fr.derived_communication(staged, result, key, about=source_ref)
    entries.append(_create(derived_url, derived, f"identifier={fr.DERIVED_ID_SYSTEM}|{key}"))
    roles.append(("derived", "Communication"))
    targets = [derived_url]

    task_url = fr.entry_uuid(key, "task")
    task = fr.routing_task(staged, result, key, focus=source_ref or derived_url)
    entries.append(_create(task_url, task, f"identifier={fr.TASK_ID_SYSTEM}|{key}"))
    roles.append(("task", "Task"))
    targets.append(task_url)

    cov = fr.coverage(staged, result, key)
    if cov is not None:
        cov_url = fr.entry_uuid(key, "coverage")
        entries.append(_create(cov_url, cov, f"identifier={fr.COVERAGE_ID_SYSTEM}|{key}"))
        roles.append(("coverage", "Coverage"))
        targets.append(cov_url)

    version_label = f"{software} {result.pipeline_version or staged.pipeline_version}".strip()
    when = (recorded or datetime.now(UTC)).isoformat()
    prov = fr.provenance(key, targets, source_ref, version_label, when)
    entries.append(_create(fr.entry_uuid(key, "provenance"), prov, f"_tag={fr.KEY_TAG_SYSTEM}|{key}"))
    roles.append(("provenance", "Provenance"))
    return entries, roles


class FhirWriter:
    """Sends write-back bundles through a :class:`FhirClient`; retries ``If-Match``
    conflicts by re-reading the source Communication (at most ``conflict_retries`` times).
    ``bundle_size``: messages per transaction Bundle in :meth:`write_many`."""

    def __init__(
        self,
        client: FhirClient,
        *,
        software: str = DEFAULT_SOFTWARE,
        conflict_retries: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        bundle_size: int = DEFAULT_BUNDLE_SIZE,
    ) -> None:
        self.client = client
        self.software = software
        self.conflict_retries = conflict_retries
        self._clock = clock
        self.bundle_size = max(1, int(bundle_size))

    def write_many(self, pairs: Sequence[tuple[StagedMessage, PipelineResult]]) -> list[WriteOutcome]:
        """Write many messages, ``bundle_size`` to a transaction Bundle; one outcome per
        message, in order. Never raises for bad data or server errors."""
        out: list[WriteOutcome] = []
        it = iter(pairs)
        while chunk := list(islice(it, self.bundle_size)):
            out.extend(self._write_chunk(chunk))
        return out

    def _write_chunk(self, chunk: list[tuple[StagedMessage, PipelineResult]]) -> list[WriteOutcome]:
        if len(chunk) == 1:
            return [self.write(*chunk[0])]
        try:
            sources = self._read_sources([staged for staged, _ in chunk])
        except SourceError as exc:
            status = exc.params.get("status")
            if exc.code_id == "E034" or (isinstance(status, int) and (status >= 500 or status == 429)):
                # the server is down or overloaded: every message would fail alike, one by one
                return [WriteOutcome(staged.id, "failed", error_code=exc.code_id, error=str(exc)) for staged, _ in chunk]
            return [self.write(staged, result) for staged, result in chunk]  # each reads and codes its own
        except IntakeflowError:
            return [self.write(staged, result) for staged, result in chunk]
        outcomes: dict[int, WriteOutcome] = {}
        entries: list[dict[str, Any]] = []
        parts: list[tuple[int, int, list[tuple[str, str]]]] = []  # (chunk index, first entry, roles)
        recorded = self._clock()
        for i, (staged, result) in enumerate(chunk):
            try:
                mine, roles = message_entries(staged, result, sources.get(staged.id), software=self.software,
                                              recorded=recorded)
            except SinkError as exc:
                outcomes[i] = WriteOutcome(staged.id, "invalid", error_code=exc.code_id, error=str(exc))
                continue
            except IntakeflowError as exc:
                outcomes[i] = WriteOutcome(staged.id, "failed", error_code=exc.code_id, error=str(exc))
                continue
            parts.append((i, len(entries), roles))
            entries.extend(mine)
        if parts:
            outcomes.update(self._send(chunk, parts, entries))
        return [outcomes[i] for i in range(len(chunk))]

    def _send(
        self, chunk: list[tuple[StagedMessage, PipelineResult]], parts: list[tuple[int, int, list[tuple[str, str]]]],
        entries: list[dict[str, Any]],
    ) -> dict[int, WriteOutcome]:
        """POST the entries of ``parts`` as one transaction; split it when one entry may be
        the cause of a refusal."""
        try:
            response = self.client.transaction(transaction_bundle(entries))
        except SinkError as exc:  # the envelope failed validation: each message on its own
            return {i: self.write(*chunk[i]) for i, _, _ in parts} if len(parts) > 1 else {
                parts[0][0]: WriteOutcome(chunk[parts[0][0]][0].id, "invalid", error_code=exc.code_id, error=str(exc))}
        except SourceError as exc:
            members = [chunk[i] for i, _, _ in parts]
            if exc.params.get("status") in SPLIT_STATUSES:
                half = len(members) // 2
                if half == 0:
                    return {parts[0][0]: self.write(*members[0])}
                found = self._write_chunk(members[:half]) + self._write_chunk(members[half:])
                return {i: outcome for (i, _, _), outcome in zip(parts, found, strict=True)}
            return {i: WriteOutcome(chunk[i][0].id, "failed", error_code=exc.code_id, error=str(exc))
                    for i, _, _ in parts}
        answers = response.get("entry", []) or []
        out: dict[int, WriteOutcome] = {}
        for i, first, roles in parts:
            if len(answers) != len(entries):
                # committed, but the answer cannot be attributed per role (as _records says)
                records = _records(roles, {"entry": []})
            else:
                records = _records(roles, {"entry": answers[first : first + len(roles)]})
            out[i] = WriteOutcome(chunk[i][0].id, "written", records=records)
        return out

    def _read_sources(self, staged: list[StagedMessage]) -> dict[int, dict[str, Any] | None]:
        """The current source Communication of each FHIR-sourced message (None: deleted),
        by message id: one search by ``_id`` for all, a plain read for any it did not
        return with a version."""
        wanted = [m for m in staged if is_fhir_sourced(m)]
        if not wanted:
            return {}
        found: dict[str, dict[str, Any]] = {}
        ids = sorted({m.source_id for m in wanted})
        params = [("_id", ",".join(i.replace("\\", "\\\\").replace(",", "\\,") for i in ids)),
                  ("_count", str(len(ids)))]
        for resource in self.client.search("Communication", params):
            if isinstance(resource.get("id"), str) and (resource.get("meta") or {}).get("versionId"):
                found[resource["id"]] = resource
        return {m.id: found[m.source_id] if m.source_id in found else self._read_source(m) for m in wanted}

    def write(self, staged: StagedMessage, result: PipelineResult) -> WriteOutcome:
        """Write one message; never raises for bad data or server errors."""
        for attempt in range(self.conflict_retries + 1):
            try:
                source = self._read_source(staged)
                bundle = build_bundle(staged, result, source, software=self.software, recorded=self._clock())
            except SinkError as exc:
                return WriteOutcome(staged.id, "invalid", error_code=exc.code_id, error=str(exc))
            except IntakeflowError as exc:
                return WriteOutcome(staged.id, "failed", error_code=exc.code_id, error=str(exc))
            roles: list[tuple[str, str]] = bundle.pop("_roles")
            try:
                response = self.client.transaction(bundle)
            except SourceError as exc:
                status = exc.params.get("status")
                if status == 412 and attempt < self.conflict_retries:
                    continue
                if status == 412:
                    reason = E.E035_FHIR_CONFLICT.format(resource="Communication", attempts=attempt + 1)
                    return WriteOutcome(staged.id, "failed", error_code="E035", error=reason)
                if status in (400, 422):
                    why = f"server rejected the bundle with HTTP {status}"
                    return WriteOutcome(staged.id, "invalid", error_code="E031",
                                        error=E.E031_FHIR_INVALID.format(resource="Bundle", why=why))
                return WriteOutcome(staged.id, "failed", error_code=exc.code_id, error=str(exc))
            return WriteOutcome(staged.id, "written", records=_records(roles, response))
        raise AssertionError("unreachable")  # pragma: no cover - loop always returns

    def _read_source(self, staged: StagedMessage) -> dict[str, Any] | None:
        if not is_fhir_sourced(staged):
            return None
        try:
            return self.client.read("Communication", staged.source_id)
        except SourceError as exc:
            if exc.params.get("status") in (404, 410):
                return None  # source deleted meanwhile: still deliver the derived resources
            raise


def deliver_pending(store: Store, writer: FhirWriter, limit: int = 100, *, workers: int = 2) -> dict[str, int]:
    """Write back up to ``limit`` processed messages: delivered on success, quarantined
    when invalid (E031), left ``processed`` for the next run on transient failure.

    Messages go out ``writer.bundle_size`` to a transaction Bundle; up to ``workers``
    Bundles are built and sent at once (one is built while another waits for the server).
    What each Bundle did is recorded in one store transaction after the server answered,
    in order (a kill in between leaves its messages ``processed``: sent again, the
    conditional creates create nothing)."""
    counts = {"delivered": 0, "quarantined": 0, "failed": 0}
    with store.session():
        pending = store.pending_writeback(limit)
        chunks = [pending[i : i + writer.bundle_size] for i in range(0, len(pending), writer.bundle_size)]
        for outcomes in _overlapped(writer.write_many, chunks, workers):
            records: dict[int, list[FhirWriteRecord]] = {}
            written: list[int] = []
            quarantine: dict[int, tuple[str, str]] = {}
            for outcome in outcomes:
                if outcome.status == "written":
                    records[outcome.message_id] = outcome.records
                    written.append(outcome.message_id)
                    continue
                records[outcome.message_id] = [
                    FhirWriteRecord("bundle", "Bundle", "failed", reason_code=outcome.error_code)]
                if outcome.status == "invalid":
                    quarantine[outcome.message_id] = (outcome.error_code or "E031", outcome.error or "E031")
                    counts["quarantined"] += 1
                else:
                    counts["failed"] += 1
            counts["delivered"] += store.record_writeback(records, written, quarantine)
    return counts


def _overlapped(
    write: Callable[[list[tuple[StagedMessage, PipelineResult]]], list[WriteOutcome]],
    chunks: list[list[tuple[StagedMessage, PipelineResult]]],
    workers: int,
) -> Iterator[list[WriteOutcome]]:
    """``write(chunk)`` for each chunk, in order, with up to ``workers`` running at once.
    An exception is raised where its chunk's turn comes; chunks not started are dropped."""
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield write(chunk)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="intakeflow-writeback") as pool:
        todo = iter(chunks)
        running = deque(pool.submit(write, chunk) for chunk in islice(todo, workers))
        try:
            while running:
                outcomes = running.popleft().result()
                nxt = next(todo, None)
                if nxt is not None:
                    running.append(pool.submit(write, nxt))
                yield outcomes
        finally:
            for fut in running:
                fut.cancel()


def _create(full_url: str, resource: dict[str, Any], if_none_exist: str) -> dict[str, Any]:
    rtype = resource["resourceType"]
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {"method": "POST", "url": rtype, "ifNoneExist": if_none_exist},
    }


def _records(roles: list[tuple[str, str]], response: dict[str, Any]) -> list[FhirWriteRecord]:
    entries = response.get("entry", []) or []
    if len(entries) != len(roles):
        # The server committed the transaction but its answer cannot be attributed per role.
        return [FhirWriteRecord("bundle", "Bundle", "unattributed", reason_code="E036")]
    out = []
    for (role, rtype), entry in zip(roles, entries, strict=True):
        resp = entry.get("response", {}) or {}
        code = str(resp.get("status", "")).split(" ", 1)[0]
        fhir_id, version = _parse_location(str(resp.get("location") or ""))
        if fhir_id is None and isinstance(entry.get("resource"), dict):
            fhir_id = entry["resource"].get("id")
            version = (entry["resource"].get("meta") or {}).get("versionId")
        status = {"201": "created"}.get(code, "updated" if role == "source" else "unchanged")
        if not code.startswith("2"):
            status = "failed"
        out.append(FhirWriteRecord(role, rtype, status, fhir_id, version))
    return out


def _parse_location(location: str) -> tuple[str | None, str | None]:
    """``[base/]Type/id[/_history/vid]`` -> (id, vid)."""
    parts = [p for p in location.split("?", 1)[0].split("/") if p]
    if "_history" in parts:
        i = parts.index("_history")
        return (parts[i - 1] if i >= 1 else None), (parts[i + 1] if i + 1 < len(parts) else None)
    return (parts[-1] if len(parts) >= 2 else None), None
