"""Merge of model spans and validator (recognizer) spans into one answer.

Structured identifiers have formats, checksums and cue phrases that rules see more
reliably than a token classifier; linguistic types (names, places, free-text dates,
payer names, amounts) are the model's strength. The policy, per answer kind:

=================  ==========================  ===========================================
validator span     model has overlapping span  model has no overlapping span
=================  ==========================  ===========================================
STRUCTURED,        validator wins: its          validator span added
validated          boundaries and its type;
                   the overlapping model
                   spans are dropped
STRUCTURED,        validator boundaries win;    validator span added
cue-anchored       type from the overlapping
(not validated)    structured model span when
                   there is one, else the
                   validator's type
LINGUISTIC         model wins, validator        validator span added (fills the gap,
                   span dropped                 e.g. a DATE the model missed)
=================  ==========================  ===========================================

STRUCTURED = SSN, PHONE, FAX, EMAIL, URL, IP, VEHICLE, HEALTH_PLAN, ACCOUNT, MRN, LICENSE,
DEVICE, BIOMETRIC, PHOTO_REF, AGE_OVER_89 (PHI) and MEMBER_ID, GROUP_NUMBER, POLICY_NUMBER,
CLAIM_ID, AUTH_NUMBER (insurance). LINGUISTIC = NAME, LOC, DATE (PHI) and CARRIER,
PLAN_TYPE, SUBSCRIBER_NAME, RELATIONSHIP, COPAY, DEDUCTIBLE, BILLED_AMOUNT (insurance).

A validator span counts as validated when its score is at least
:data:`~intakeflow.pipeline.recognizers.base.VALIDATED_SCORE` (the recognizers' convention).
Validated spans are applied first, then longer ones. The output is sorted and has no
overlaps (a leftover model/model overlap keeps the higher-scoring, then longer span).
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

from intakeflow.errors import E, IntakeflowError
from intakeflow.pipeline.recognizers.base import VALIDATED_SCORE
from intakeflow.spans import Span

STRUCTURED_PHI: frozenset[str] = frozenset(
    {
        "SSN", "PHONE", "FAX", "EMAIL", "URL", "IP", "VEHICLE", "HEALTH_PLAN", "ACCOUNT", "MRN",
        "LICENSE", "DEVICE", "BIOMETRIC", "PHOTO_REF", "AGE_OVER_89",
    }
)  # fmt: skip
STRUCTURED_INSURANCE: frozenset[str] = frozenset({"MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER", "CLAIM_ID", "AUTH_NUMBER"})
STRUCTURED: dict[str, frozenset[str]] = {"phi": STRUCTURED_PHI, "insurance": STRUCTURED_INSURANCE}


def is_validated(span: Span) -> bool:
    return span.source == "validator" and span.score >= VALIDATED_SCORE


def _length(s: Span) -> int:
    return s.end - s.start


def non_overlapping(spans: list[Span]) -> list[Span]:
    """Greedy: higher score, then longer, then earlier wins; result sorted by position."""
    ordered = sorted(spans, key=Span.key)
    if all(a.end <= b.start for a, b in pairwise(ordered)):
        return ordered  # nothing to resolve (the usual case): the greedy pass would keep all
    chosen: list[Span] = []
    for s in sorted(spans, key=lambda s: (-s.score, -_length(s), s.start)):
        if not any(s.overlaps(c) for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=Span.key)


def merge(model: list[Span], validators: list[Span], kind: str) -> list[Span]:
    """Combine ``model`` and ``validators`` spans of one answer (``kind`` = ``phi``/``insurance``)."""
    if kind not in STRUCTURED:
        raise IntakeflowError(E.E076_SPAN_KIND, kind=str(kind)[:20])
    structured = STRUCTURED[kind]
    kept = list(model)
    added: list[Span] = []
    for v in sorted(validators, key=lambda s: (not is_validated(s), -_length(s), s.start)):
        if any(v.overlaps(a) for a in added):
            continue
        overlapping = [m for m in kept if m.overlaps(v)]
        if v.label not in structured:
            if not overlapping:
                added.append(v)
            continue
        if overlapping and not is_validated(v):
            typed = [m for m in overlapping if m.label in structured]
            if typed:
                best = max(typed, key=lambda m: (m.score, _length(m)))
                v = replace(v, label=best.label)
        kept = [m for m in kept if not m.overlaps(v)]
        added.append(v)
    return non_overlapping(kept + added)
