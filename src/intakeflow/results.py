"""Values that cross module boundaries: what goes into the pipeline and what comes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intakeflow.spans import Span

#: the longest message text a source stages (and the pipeline's default ``max_chars``):
#: longer input is quarantined E002 where it is read, never stored whole
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class InboundMessage:
    """One patient message as a source read it, before any processing.

    ``source_id`` is stable within ``source`` (FHIR Communication id; ``MSH-4|MSH-10`` for
    HL7), so re-reading the same input yields the same key. ``meta`` holds non-PHI facts
    only (message type, file name, attachment counts).
    """

    source: str
    source_id: str
    text: str
    channel: str | None = None
    patient_ref: str | None = None
    received_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Filtered:
    """An input that is expected and carries nothing to process (an ADT message without
    text): recorded with the rule that matched, counted, never processed nor quarantined."""

    source: str
    source_id: str
    rule: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Quarantined:
    """An input that could not become an :class:`InboundMessage`; kept, never dropped."""

    source: str
    source_id: str
    reason_code: str
    reason: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineInput:
    id: str
    text: str
    channel: str | None = None
    #: key scope for consistent surrogates and date shifting (a patient reference)
    scope: str | None = None


@dataclass
class PipelineResult:
    """One result per input message; ``error`` set means the message failed alone."""

    id: str
    intent: str | None = None
    intent_confidence: float = 0.0
    needs_review: bool = True
    queue: str | None = None
    phi: list[Span] = field(default_factory=list)
    insurance: list[Span] = field(default_factory=list)
    redacted_text: str | None = None
    #: what ``redacted_text`` masks: ``phi`` widened towards recall (never narrower)
    redaction: list[Span] = field(default_factory=list)
    insurance_json: dict[str, Any] = field(default_factory=dict)
    error_code: str | None = None
    error: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    fallback_calls: int = 0
    #: estimated spend of this message's fallback calls (from usage tokens), in US dollars
    fallback_usd: float = 0.0
    pipeline_version: str = ""

    @property
    def ok(self) -> bool:
        return self.error_code is None


#: what a source yields for each input: a message to process, a broken input, or an
#: expected one without text
SourceItem = InboundMessage | Quarantined | Filtered
