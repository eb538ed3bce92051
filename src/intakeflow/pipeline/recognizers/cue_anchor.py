"""Shared machinery of the cue-anchored identifier recognizers (MRN, member ID, claim, ...).

Institution-specific identifiers have no fixed format, so these recognizers rely on the
cue phrase in front: the value is the first identifier-shaped token a few filler words
after the cue ("MRN: 8472301", "member id is W12 3456", "claim # CL-0042"). An
identifier-shaped value contains at least one digit and is one of

* a token of ``[A-Za-z0-9]`` with internal ``- . / _`` ("PA77120-S", "12/4471"),
* 2-4 space-separated digit groups ("8803 4471 902"),
* spaced-out single characters as voicemail transcribes them ("A M B 7 7 2 0 1 9 3"),
* a short upper-case prefix and a number ("XYZ 123456").

When nothing fits right after the cue, a *far* pass takes the first strong-looking value
(mixed letters and digits, or six digits and more) later in the same sentence, with a
lower score. Cue words never end up inside the span.
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_FAR_SCORE, CUE_NEAR_SCORE, Detection, Recognizer
from intakeflow.pipeline.recognizers.cue_index import CueHit, find_cues, find_phrases
from intakeflow.pipeline.recognizers.cues import IDENTIFIER_CUES

FILLER = (
    r"(?i:\s+|[:#=(\[,.]|[-\u2013\u2014](?=\s)|\b(?:is|was|are|number|num|nbr|no|id|of|my|our|his|her"
    r"|their|the|its|it['\u2019]?s|it|would|be|should|reads|says|on|file|listed|as|ending|in|just"
    r"|also|here|that|this)\b\.?)"
)
# A one-digit last group (a check digit, "7712 0045 8") only where no word follows.
_DIGIT_GROUPS = (
    r"(?:[A-Z]{1,4}\x20?)?\d{2,6}(?:(?:\x20\d{2,6}){1,3}(?:\x20\d(?!\s*[A-Za-z0-9]))?|\x20\d(?!\s*[A-Za-z0-9]))"
    r"(?![A-Za-z0-9])"
)
_SPACED = (
    r"(?=(?:(?:[A-Za-z0-9]|\d\d)\x20)*\d{1,3}(?![A-Za-z0-9]))(?:[A-Za-z0-9]|\d{2,3})(?:\x20(?:[A-Za-z0-9]|\d{2,3})){3,}"
    r"(?![A-Za-z0-9])"
)
_PREFIXED = r"[A-Z]{2,4}\x20\d{3,}[A-Za-z0-9]*(?![A-Za-z0-9])"
_TOKEN = r"(?=[A-Za-z0-9._/-]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[-./_](?=[A-Za-z0-9]))*"
VALUE_RE = re.compile(f"(?<![A-Za-z0-9])(?:{_DIGIT_GROUPS}|{_SPACED}|{_PREFIXED}|{_TOKEN})")
NEAR_RE = re.compile(f"{FILLER}{{0,6}}?(?P<v>{_DIGIT_GROUPS}|{_SPACED}|{_PREFIXED}|{_TOKEN})")
_SPACED_RE = re.compile(_SPACED)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")

_NOT_ID = re.compile(
    r"""^(?:
        (?:19|20)\d\d                                   # a year
      | \d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?              # a date
      | \d{4}-\d{2}-\d{2}
      | \d+\.\d{1,2}                                    # an amount or a lab value
      | \d+(?:st|nd|rd|th)                              # an ordinal
      | \d+(?:mg|mcg|ml|g|kg|lbs?|am|pm|hrs?|min|yo|y|x|%)  # a measurement or time
      | \(?\d{3}\)?[-.]\d{3}[-.]\d{4}                   # a formatted phone number
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_TRAILING_WORD = re.compile(r"(?:\x20(?:I|a))+$")


def alnum_count(s: str) -> int:
    return sum(ch.isalnum() for ch in s)


def plausible_id(value: str, min_alnum: int) -> bool:
    """Identifier-shaped: has a digit, long enough, and is not a date/year/amount/phone."""
    n = alnum_count(value)
    if not any(ch.isdigit() for ch in value) or n < min_alnum:
        return False
    if " " in value and n < 5:  # "55 12" is two small numbers, not a grouped identifier
        return False
    return not _NOT_ID.match(value)


def strong_id(value: str) -> bool:
    """Distinctive enough to accept without a cue right in front of it."""
    if not plausible_id(value, 5):
        return False
    digits = sum(ch.isdigit() for ch in value)
    letters = sum(ch.isalpha() for ch in value)
    return (letters > 0 and digits >= 2) or digits >= 6


class CueAnchoredRecognizer(Recognizer):
    """Finds the value a cue phrase announces. Subclasses pick labels and cue set."""

    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (NEAR_RE, VALUE_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("near", "value")
    CUE_LABEL: ClassVar[str] = ""
    #: Hits that also carry one of these labels belong to a more specific recognizer.
    DEFER_TO: ClassVar[frozenset[str]] = frozenset()
    PHI_LABEL: ClassVar[str | None] = None
    INSURANCE_LABEL: ClassVar[str | None] = None
    MIN_ALNUM: ClassVar[int] = 4
    FAR_CHARS: ClassVar[int] = 60

    def analyze(self, text: str) -> list[Detection]:
        # the built-in phrases share one scan of the message; a deployment's own set scans alone
        # (an identity test: this runs for every message, and only an override replaces the tuple)
        hits = find_cues(text) if self.context is self.CONTEXT else find_phrases(text, self.context, self.CUE_LABEL)
        out: list[Detection] = []
        for k, hit in enumerate(hits):
            if self.CUE_LABEL not in hit.labels or hit.labels & self.DEFER_TO:
                continue
            next_cue = hits[k + 1].start if k + 1 < len(hits) else len(text)
            found = self._near(text, hit, next_cue)
            if found is None:
                found = self._far(text, hit, next_cue)
            if found is not None:
                s, e, score = found
                out.append(self.detection(text, s, e, score))
        return out

    def detection(self, text: str, start: int, end: int, score: float) -> Detection:
        """Hook for subclasses that can validate the value (DEA check digit, ...)."""
        return self._det(start, end, self.PHI_LABEL, self.INSURANCE_LABEL, score=score)

    def accept(self, value: str) -> bool:
        return plausible_id(value, self.MIN_ALNUM)

    def _near(self, text: str, hit: CueHit, limit: int) -> tuple[int, int, float] | None:
        m = self.pat["near"].match(text, hit.end)
        if m is None or m.start("v") >= limit:
            return None
        s, e = m.span("v")
        trail = _TRAILING_WORD.search(text, s, e)
        if trail is not None:
            e = trail.start()
        if not self.accept(text[s:e]):
            return None
        return s, e, CUE_NEAR_SCORE

    def _far(self, text: str, hit: CueHit, limit: int) -> tuple[int, int, float] | None:
        stop = min(limit, hit.end + self.FAR_CHARS, len(text))
        end = _SENTENCE_END.search(text, hit.end, stop)
        if end is not None:
            stop = end.start()
        for m in self.pat["value"].finditer(text, hit.end, stop):
            if m.start() > 0 and text[m.start() - 1] in "$@/":
                continue
            # Far away from the cue only one token or a spaced-out value counts: "PSC 7951"
            # and "12 34" groups there are more often addresses and counts than identifiers.
            if " " in m.group() and not _SPACED_RE.fullmatch(m.group()):
                continue
            if strong_id(m.group()) and self.accept(m.group()):
                return m.start(), m.end(), CUE_FAR_SCORE
        return None


def cue_context(label: str) -> tuple[str, ...]:
    return IDENTIFIER_CUES[label]
