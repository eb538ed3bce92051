"""FHIR Communication resources -> InboundMessage (or Quarantined).

Searches ``Communication?_lastUpdated=ge{start}&_lastUpdated=lt{end}`` with optional
status and category filters, paging through Bundle ``next`` links. Text comes from
``payload.contentString`` and ``text/plain`` attachments (inline base64 ``data`` or a
``url`` on the same server fetched through the client). Other payloads are recorded in
``meta['skipped']`` with a catalogue code, never read.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.communication import Communication
from pydantic import ValidationError

from intakeflow.errors import E, IntakeflowError
from intakeflow.fhir_systems import CHANNEL_SYSTEM, DERIVED_ID_SYSTEM
from intakeflow.results import MAX_TEXT_CHARS, InboundMessage, Quarantined
from intakeflow.sources.fhir_client import FhirClient

log = logging.getLogger(__name__)

FHIR_SOURCE = "fhir"
#: v3 ParticipationMode codes (Communication.medium) that map onto spec channels.
MEDIUM_CHANNELS: dict[str, str] = {
    "EMAILWRIT": "email",
    "SMSWRIT": "sms",
    "ONLINEWRIT": "portal",
    "PHONE": "voicemail",
}
_MAX_ATTACHMENT_BYTES = 1_000_000


def iter_communications(
    client: FhirClient,
    start: datetime,
    end: datetime,
    *,
    statuses: Iterable[str] = ("completed",),
    categories: Iterable[str] = (),
    page_size: int = 100,
    source: str = FHIR_SOURCE,
) -> Iterator[InboundMessage | Quarantined]:
    """Communications last updated in ``[start, end)``.

    ``categories`` are search tokens (``code`` or ``system|code``). An empty ``statuses``
    means no status filter. ``source`` names the server in the staging key (give each FHIR
    server its own name so ids cannot collide).
    """
    params: list[tuple[str, str]] = [
        ("_lastUpdated", f"ge{_instant(start)}"),
        ("_lastUpdated", f"lt{_instant(end)}"),
        ("_count", str(page_size)),
    ]
    status_list = [s for s in statuses if s]
    if status_list:
        params.append(("status", ",".join(status_list)))
    category_list = [c for c in categories if c]
    if category_list:
        params.append(("category", ",".join(category_list)))
    own = 0
    for resource in client.search("Communication", params):
        if is_derived(resource):
            own += 1  # a redacted copy this pipeline wrote back: not an inbound message
            continue
        yield communication_to_inbound(resource, client, source=source)
    if own:
        log.info("skipped %d Communications written by intakeflow itself", own)


def is_derived(resource: dict[str, Any]) -> bool:
    """True for the redacted Communications that write-back creates (our identifier system)."""
    ids = resource.get("identifier") or []
    return isinstance(ids, list) and any(isinstance(i, dict) and i.get("system") == DERIVED_ID_SYSTEM for i in ids)


def communication_to_inbound(
    resource: dict[str, Any], client: FhirClient | None = None, *, source: str = FHIR_SOURCE
) -> InboundMessage | Quarantined:
    """Map one Communication (JSON dict); attachment URLs need ``client``. Never raises for
    bad input: invalid resources and ones without text come back as Quarantined."""
    rid = str(resource.get("id") or "")
    meta: dict[str, Any] = {"resource_type": "Communication"}
    resource_meta = resource.get("meta")
    version = resource_meta.get("versionId") if isinstance(resource_meta, dict) else None
    if version:
        meta["version_id"] = str(version)
    if resource.get("resourceType") != "Communication" or not rid:
        why = "not a Communication" if resource.get("resourceType") != "Communication" else "no id"
        reason = E.E031_FHIR_INVALID.format(resource="Communication", why=why)
        return Quarantined(source, rid or "unknown", "E031", reason, meta)
    try:
        comm = Communication.model_validate(resource)
    except ValidationError as exc:
        why = f"{exc.error_count()} validation errors"
        return Quarantined(source, rid, "E031", E.E031_FHIR_INVALID.format(resource="Communication", why=why), meta)

    texts, skipped = _payload_texts(comm, client)
    meta["payload_count"] = len(comm.payload or [])
    if skipped:
        meta["skipped"] = skipped
    body = "\n\n".join(t.strip() for t in texts if t.strip())
    if not body:
        why = "no payload" if not comm.payload else "no text/plain content"
        return Quarantined(source, rid, "E032", E.E032_FHIR_NO_TEXT.format(why=why), meta)
    if len(body) > MAX_TEXT_CHARS:
        return Quarantined(source, rid, "E002", E.E002_TEXT_TOO_LONG.format(length=len(body), limit=MAX_TEXT_CHARS), meta)
    return InboundMessage(
        source=source,
        source_id=rid,
        text=body,
        channel=_channel(comm),
        patient_ref=comm.subject.reference if comm.subject and comm.subject.reference else None,
        received_at=_received_at(comm),
        meta=meta,
    )


def _payload_texts(comm: Communication, client: FhirClient | None) -> tuple[list[str], list[dict[str, Any]]]:
    texts: list[str] = []
    skipped: list[dict[str, Any]] = []
    for index, payload in enumerate(comm.payload or []):
        if payload.contentString is not None:
            texts.append(payload.contentString)
            continue
        attachment = payload.contentAttachment
        if attachment is None:
            skipped.append(_skip(index, "reference payload", None))
            continue
        ctype = (attachment.contentType or "").lower()
        mime = ctype.split(";", 1)[0].strip()
        if mime != "text/plain":
            skipped.append(_skip(index, "content type is not text/plain", mime or None))
            continue
        charset = _charset(ctype)
        try:
            raw = _attachment_bytes(attachment.data, attachment.url, client)
        except IntakeflowError as exc:
            skipped.append(_skip(index, f"fetch failed ({exc.code_id})", mime))
            continue
        except (binascii.Error, ValueError):
            skipped.append(_skip(index, "data is not valid base64", mime))
            continue
        if raw is None:
            skipped.append(_skip(index, "attachment has neither data nor a fetchable url", mime))
            continue
        if len(raw) > _MAX_ATTACHMENT_BYTES:
            skipped.append(_skip(index, "attachment above size limit", mime))
            continue
        try:
            texts.append(raw.decode(charset))
        except (LookupError, UnicodeDecodeError):
            skipped.append(_skip(index, f"bytes are not valid {charset}", mime))
    return texts, skipped


def _attachment_bytes(data: Any, url: Any, client: FhirClient | None) -> bytes | None:
    """Inline data (fhir.resources has already base64-decoded it to bytes) or the url's
    content, fetched only from the client's own server so credentials stay there."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return base64.b64decode(data, validate=True)
    if url and client is not None and client.same_origin(str(url)):
        content, _ = client.fetch_bytes(str(url), accept="text/plain")
        return content
    return None


def _skip(index: int, why: str, content_type: str | None) -> dict[str, Any]:
    reason = E.E033_FHIR_ATTACHMENT_SKIPPED.format(index=index, why=why)
    entry: dict[str, Any] = {"index": index, "code": "E033", "reason": reason}
    if content_type:
        entry["content_type"] = content_type
    return entry


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


def _channel(comm: Communication) -> str | None:
    for concept in comm.medium or []:
        for coding in concept.coding or []:
            if coding.system == CHANNEL_SYSTEM and coding.code:
                return str(coding.code)
            if coding.code in MEDIUM_CHANNELS:
                return MEDIUM_CHANNELS[str(coding.code)]
    return None


def _received_at(comm: Communication) -> datetime | None:
    for value in (comm.received, comm.sent, comm.meta.lastUpdated if comm.meta else None):
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _instant(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
