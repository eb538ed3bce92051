"""Builders of the FHIR R4 resources written back for one processed message.

Every resource is built as JSON and validated with the fhir.resources R4B models before it
is sent; a model failure raises SinkError E031 (the message is quarantined, not crashed).
All identifiers live under systems this project owns (``https://intakeflow.dev/fhir/...``)
and carry a hash of ``(source, source_id, pipeline_version)``, never the patient's data.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from intakeflow.errors import E, SinkError
from intakeflow.fhir_systems import (
    COVERAGE_ID_SYSTEM,
    DERIVED_ID_SYSTEM,
    HL7_MESSAGE_SYSTEM,
    INTENT_SYSTEM,
    KEY_TAG_SYSTEM,
    QUEUE_SYSTEM,
    REVIEW_SYSTEM,
    SYSTEM_BASE,
    TASK_ID_SYSTEM,
)
from intakeflow.results import PipelineResult
from intakeflow.store.staged import StagedMessage

COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COPAY_TYPE = "http://terminology.hl7.org/CodeSystem/coverage-copay-type"
PROVENANCE_AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
URGENT_INTENTS: frozenset[str] = frozenset({"clinical_concern"})
_LITERAL_REF = re.compile(r"^(https?://\S+/)?[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")


def idempotency_key(staged: StagedMessage) -> str:
    """Stable key of one message under one pipeline version (hex, no PHI)."""
    raw = "\x1f".join((staged.source, staged.source_id, staged.pipeline_version))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:40]


def entry_uuid(key: str, role: str) -> str:
    """Deterministic ``urn:uuid`` for a bundle entry, so a rebuilt bundle is identical."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{SYSTEM_BASE}/{key}/{role}')}"


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """Validate with the R4B model; return the model's JSON (drops empty values)."""
    rtype = str(resource.get("resourceType"))
    try:
        model = get_fhir_model_class(rtype).model_validate(resource)
    except (ValidationError, ValueError, KeyError) as exc:
        count = exc.error_count() if isinstance(exc, ValidationError) else 1
        raise SinkError(E.E031_FHIR_INVALID, resource=rtype, why=f"{count} validation errors") from None
    out: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return out


def intent_coding(intent: str) -> dict[str, Any]:
    return {"system": INTENT_SYSTEM, "code": intent, "display": intent.replace("_", " ")}


def priority_of(intent: str | None) -> str:
    return "urgent" if intent in URGENT_INTENTS else "routine"


def patient_reference(patient_ref: str | None) -> dict[str, Any] | None:
    """A Reference for ``patient_ref``: literal (``Patient/1``) from FHIR sources, logical
    (identifier + assigner display) for HL7 ``authority|id`` values."""
    if not patient_ref:
        return None
    if _LITERAL_REF.match(patient_ref):
        return {"reference": patient_ref}
    authority, sep, ident = patient_ref.rpartition("|")
    identifier: dict[str, Any] = {"value": ident if sep else patient_ref}
    if authority:
        identifier["assigner"] = {"display": authority}
    return {"identifier": identifier}


def updated_source_communication(current: dict[str, Any], intent: str) -> dict[str, Any] | None:
    """The source Communication with our intent coding in ``category`` (replacing an older
    one of ours) and ``priority`` urgent for urgent intents; None when nothing changes."""
    updated = {k: v for k, v in current.items() if k != "meta"}
    categories = [c for c in updated.get("category", []) or [] if not _has_system(c, INTENT_SYSTEM)]
    categories.append({"coding": [intent_coding(intent)]})
    updated["category"] = categories
    if intent in URGENT_INTENTS:
        updated["priority"] = "urgent"
    before = {k: v for k, v in current.items() if k != "meta"}
    if _canonical(before) == _canonical(updated):
        return None
    return validated(updated)


def derived_communication(
    staged: StagedMessage, result: PipelineResult, key: str, about: str | None
) -> dict[str, Any]:
    """A Communication carrying the redacted text, pointing at the original via ``about``
    (R4 ``Communication.about``: Reference(Any)); HL7 messages have no original resource,
    so theirs carries the HL7 message id as a second identifier instead."""
    identifiers = [{"system": DERIVED_ID_SYSTEM, "value": key}]
    if about is None:
        identifiers.append({"system": HL7_MESSAGE_SYSTEM, "value": staged.source_id})
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "identifier": identifiers,
        "status": "completed",
        "priority": priority_of(result.intent),
        "payload": [{"contentString": result.redacted_text or ""}],
        "meta": {"tag": [{"system": KEY_TAG_SYSTEM, "code": key}]},
    }
    if result.intent:
        resource["category"] = [{"coding": [intent_coding(result.intent)]}]
    if about:
        resource["about"] = [{"reference": about}]
    subject = patient_reference(staged.patient_ref)
    if subject:
        resource["subject"] = subject
    if staged.received_at:
        resource["received"] = staged.received_at.isoformat()
    return validated(resource)


def routing_task(staged: StagedMessage, result: PipelineResult, key: str, focus: str) -> dict[str, Any]:
    """A Task asking the routing queue to handle the message (``focus``: the Communication)."""
    queue = result.queue or "unrouted"
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "identifier": [{"system": TASK_ID_SYSTEM, "value": key}],
        "status": "requested",
        "intent": "order",
        "priority": priority_of(result.intent),
        "code": {"coding": [{"system": QUEUE_SYSTEM, "code": queue}], "text": queue},
        "businessStatus": {
            "coding": [{"system": REVIEW_SYSTEM, "code": "needs-review" if result.needs_review else "auto-routed"}]
        },
        "owner": {"display": queue},
        "focus": {"reference": focus},
        "description": f"Route inbound message to queue {queue}",
    }
    patient = patient_reference(staged.patient_ref)
    if patient:
        resource["for"] = patient
    return validated(resource)


def coverage(staged: StagedMessage, result: PipelineResult, key: str) -> dict[str, Any] | None:
    """A Coverage from the insurance JSON, or None without carrier, member/policy id and
    a patient (R4 requires payor and beneficiary)."""
    ins = result.insurance_json or {}
    carrier = insurance_value(ins, "CARRIER")
    member = insurance_value(ins, "MEMBER_ID") or insurance_value(ins, "POLICY_NUMBER")
    beneficiary = patient_reference(staged.patient_ref)
    if not (isinstance(carrier, str) and carrier and isinstance(member, str) and member and beneficiary):
        return None
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "identifier": [{"system": COVERAGE_ID_SYSTEM, "value": key}],
        "status": "active",
        "subscriberId": member,
        "beneficiary": beneficiary,
        "payor": [{"display": carrier}],
    }
    classes = []
    for field, code in (("GROUP_NUMBER", "group"), ("PLAN_TYPE", "plan")):
        value = insurance_value(ins, field)
        if isinstance(value, str) and value:
            classes.append({"type": {"coding": [{"system": COVERAGE_CLASS, "code": code}]}, "value": value})
    if classes:
        resource["class"] = classes
    relationship = insurance_value(ins, "RELATIONSHIP")
    if isinstance(relationship, str) and relationship:
        resource["relationship"] = {"coding": [{"system": SUBSCRIBER_RELATIONSHIP, "code": relationship}]}
    copay = insurance_value(ins, "COPAY")
    money = _money(copay)
    if money:
        resource["costToBeneficiary"] = [
            {"type": {"coding": [{"system": COPAY_TYPE, "code": "copay"}]}, "valueMoney": money}
        ]
    return validated(resource)


def provenance(key: str, targets: list[str], source_ref: str | None, software: str, recorded: str) -> dict[str, Any]:
    """Provenance of what the pipeline produced. R4 Provenance has no identifier, so the
    idempotency key goes into ``meta.tag`` (conditional create on ``_tag``)."""
    resource: dict[str, Any] = {
        "resourceType": "Provenance",
        "meta": {"tag": [{"system": KEY_TAG_SYSTEM, "code": key}]},
        "target": [{"reference": t} for t in targets],
        "recorded": recorded,
        "agent": [
            {
                "type": {"coding": [{"system": PROVENANCE_AGENT_TYPE, "code": "assembler"}]},
                "who": {"display": software},
            }
        ],
    }
    if source_ref:
        resource["entity"] = [{"role": "source", "what": {"reference": source_ref}}]
    return validated(resource)


def insurance_value(ins: dict[str, Any], field: str) -> Any:
    """First value of ``field`` in the normalised insurance JSON, tolerant of key case and
    of single values vs lists (the JSON shape belongs to the extraction stage)."""
    for key in (field, field.lower()):
        if key in ins:
            value = ins[key]
            if isinstance(value, list):
                return value[0] if value else None
            return value
    return None


def _money(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
        return {"value": float(value["value"]), "currency": str(value.get("currency") or "USD")}
    return None


def _has_system(concept: Any, system: str) -> bool:
    return isinstance(concept, dict) and any(c.get("system") == system for c in concept.get("coding", []) or [])


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value
