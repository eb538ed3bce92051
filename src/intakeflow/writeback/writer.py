"""Write processed messages back to a FHIR server as one idempotent transaction each.

Per message: (FHIR-sourced only) the source Communication gets the intent coding in
``category`` and ``priority`` urgent for clinical concerns, sent as PUT with ``If-Match``
on the version just read; a redacted derived Communication, a routing Task, a Coverage
(when the insurance JSON has payer, member id and a patient) and a Provenance are created
with ``ifNoneExist`` on identifiers/tags this project owns, so sending twice creates nothing
new. HL7-sourced messages have no source Communication: only the derived resources.
The source Communication is assumed to live on the server the writer talks to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from intakeflow.errors import E, IntakeflowError, SinkError, SourceError
from intakeflow.results import PipelineResult
from intakeflow.sources.fhir_client import FhirClient
from intakeflow.store.staged import FhirWriteRecord, StagedMessage
from intakeflow.writeback import resources as fr

if TYPE_CHECKING:
    from intakeflow.store.pg_store import Store

DEFAULT_SOFTWARE = "intakeflow"


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

    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
    fr.validated(bundle)
    bundle["_roles"] = roles  # stripped before sending; keeps response entries attributable
    return bundle


class FhirWriter:
    """Sends write-back bundles through a :class:`FhirClient`; retries ``If-Match``
    conflicts by re-reading the source Communication (at most ``conflict_retries`` times)."""

    def __init__(
        self,
        client: FhirClient,
        *,
        software: str = DEFAULT_SOFTWARE,
        conflict_retries: int = 2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.software = software
        self.conflict_retries = conflict_retries
        self._clock = clock

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


def deliver_pending(store: Store, writer: FhirWriter, limit: int = 100) -> dict[str, int]:
    """Write back up to ``limit`` processed messages: delivered on success, quarantined
    when invalid (E031), left ``processed`` for the next run on transient failure."""
    counts = {"delivered": 0, "quarantined": 0, "failed": 0}
    for staged, result in store.pending_writeback(limit):
        outcome = writer.write(staged, result)
        if outcome.status == "written":
            store.record_fhir_writes(staged.id, outcome.records)
            counts["delivered"] += store.mark_delivered([staged.id])
            continue
        store.record_fhir_writes(
            staged.id, [FhirWriteRecord("bundle", "Bundle", "failed", reason_code=outcome.error_code)]
        )
        if outcome.status == "invalid":
            store.quarantine_message(staged.id, outcome.error_code or "E031", outcome.error or "E031")
            counts["quarantined"] += 1
        else:
            counts["failed"] += 1
    return counts


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
