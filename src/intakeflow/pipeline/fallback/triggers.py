"""Where the fallback looks: identifier cues left without a value, and low-confidence spans.

A cue (a phrase of :data:`intakeflow.pipeline.recognizers.cues.IDENTIFIER_CUES`) is unresolved when
no span of one of its labels, nor any structured-identifier span, starts within
``cue_gap_chars`` after it, and (with ``require_value_hint``) something that could be a
value follows: a digit or a spoken number word ("member id is W one two ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intakeflow.pipeline.recognizers.cue_index import find_cues
from intakeflow.spans import Span

#: labels whose spans count as "a value was found here" after any cue
STRUCTURED: frozenset[str] = frozenset(
    {
        "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE",
        "URL", "IP", "BIOMETRIC", "PHOTO_REF", "MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER", "CLAIM_ID",
        "AUTH_NUMBER",
    }
)  # fmt: skip
_VALUE_HINT = re.compile(r"\d|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|double|triple)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Trigger:
    start: int
    end: int
    labels: tuple[str, ...]
    kind: str  # "cue" or "low_confidence"


def find_triggers(text: str, known: list[Span], gap: int, low_confidence: float, require_value_hint: bool) -> list[Trigger]:
    out: list[Trigger] = []
    for hit in find_cues(text):
        start, end = hit.start, hit.end
        if any(s.start <= start and end <= s.end for s in known):
            continue  # the cue word is part of a found value (an e-mail, a URL)
        labels = tuple(sorted(hit.labels))
        wanted = set(labels) | STRUCTURED
        if any(s.label in wanted and end <= s.start <= end + gap for s in known):
            continue
        if require_value_hint and not _VALUE_HINT.search(text, end, min(len(text), end + gap)):
            continue
        out.append(Trigger(start, end, labels, "cue"))
    for s in known:
        if s.score < low_confidence:
            out.append(Trigger(s.start, s.end, (s.label,), "low_confidence"))
    return sorted(out, key=lambda t: (t.start, t.end))
