"""Apply operators to spans: validate the spans, then replace right to left."""

from __future__ import annotations

from itertools import pairwise

from intakeflow.errors import E
from intakeflow.pipeline.anonymizers.base import RedactionError, SpanContext
from intakeflow.pipeline.anonymizers.config import KNOWN_LABELS, RedactionConfig
from intakeflow.pipeline.anonymizers.registry import OPERATORS
from intakeflow.spans import Span


def _checked(text: str, spans: list[Span]) -> list[Span]:
    for i, s in enumerate(spans):
        if not (0 <= s.start < s.end <= len(text)):
            raise RedactionError(E.E070_REDACT_BAD_SPANS, index=i, why="out of range")
        if s.label not in KNOWN_LABELS:
            raise RedactionError(E.E070_REDACT_BAD_SPANS, index=i, why="unknown label")
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    for a, b in pairwise(ordered):
        if a.overlaps(b):
            raise RedactionError(E.E070_REDACT_BAD_SPANS, index=spans.index(b), why="overlap")
    return ordered


def redact(text: str, spans: list[Span], config: RedactionConfig, scope: str | None = None) -> str:
    """``text`` with every span replaced by its label's operator output.

    Spans must lie inside ``text``, carry a spec label and not overlap (``E070``
    otherwise). ``scope`` keys consistency for ``surrogate``/``dateshift`` (use a patient
    reference); ``None`` means one shared scope. Text outside spans is kept byte for byte.
    """
    config.validate()
    ordered = _checked(text, spans)
    scope_key = scope or ""
    out = text
    # right to left: earlier offsets stay valid while later spans change length
    for s in reversed(ordered):
        op = OPERATORS[config.operator_for(s.label)]
        ctx = SpanContext(text=text, start=s.start, end=s.end, label=s.label, scope=scope_key, config=config)
        out = out[: s.start] + op.apply(ctx) + out[s.end :]
    return out
