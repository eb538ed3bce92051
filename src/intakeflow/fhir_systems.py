"""URLs of the code systems and naming systems this project owns, for sources and sinks."""

from __future__ import annotations

SYSTEM_BASE = "https://intakeflow.dev/fhir"
INTENT_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/intent"
QUEUE_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/queue"
REVIEW_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/review-status"
CHANNEL_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/channel"
KEY_TAG_SYSTEM = f"{SYSTEM_BASE}/CodeSystem/writeback-key"
DERIVED_ID_SYSTEM = f"{SYSTEM_BASE}/NamingSystem/derived-communication"
TASK_ID_SYSTEM = f"{SYSTEM_BASE}/NamingSystem/routing-task"
COVERAGE_ID_SYSTEM = f"{SYSTEM_BASE}/NamingSystem/coverage"
HL7_MESSAGE_SYSTEM = f"{SYSTEM_BASE}/NamingSystem/hl7v2-message"
