"""Where the fallback looks: identifier cues left without a value, and low-confidence spans.

A cue (a phrase of :data:`intakeflow.recognizers.cues.IDENTIFIER_CUES`) is unresolved when
no span of one of its labels, nor any structured-identifier span, starts within
``cue_gap_chars`` after it, and (with ``require_value_hint``) something that could be a
value follows: a digit or a spoken number word ("member id is W one two ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from intakeflow.recognizers.cues import IDENTIFIER_CUES
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


def _phrase_pattern(phrase: str) -> str:
    body = r"\s+".join(re.escape(word) for word in phrase.split())
    head = r"(?<!\w)" if phrase[0].isalnum() else ""
    tail = r"(?!\w)" if phrase[-1].isalnum() else ""
    return head + body + tail


@lru_cache(maxsize=1)
def _cue_index() -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    labels_of: dict[str, list[str]] = {}
    for label, cue_phrases in IDENTIFIER_CUES.items():
        for phrase in cue_phrases:
            labels_of.setdefault(" ".join(phrase.lower().split()), []).append(label)
    ordered = sorted(labels_of, key=len, reverse=True)  # longest first wins the alternation
    pattern = re.compile("|".join(_phrase_pattern(p) for p in ordered), re.IGNORECASE)
    return pattern, {p: tuple(sorted(set(ls))) for p, ls in labels_of.items()}


def find_triggers(text: str, known: list[Span], gap: int, low_confidence: float, require_value_hint: bool) -> list[Trigger]:
    pattern, labels_of = _cue_index()
    out: list[Trigger] = []
    for m in pattern.finditer(text):
        start, end = m.start(), m.end()
        if any(s.start <= start and end <= s.end for s in known):
            continue  # the cue word is part of a found value (an e-mail, a URL)
        labels = labels_of[" ".join(m.group(0).lower().split())]
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
