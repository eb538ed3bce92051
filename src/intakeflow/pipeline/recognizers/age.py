"""Ages of 90 and over ("she's 96", "age 92", "93 years old", "93yo", "aged 101",
"ninety-two years old"). Ages under 90 are not PHI and are never returned."""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_NEAR_SCORE, Detection, Recognizer
from intakeflow.pipeline.spoken import find_spoken_numbers

_SUBJECT = (
    r"(?:she|he|i|mom|dad|mother|father|grandma|grandpa|grandmother|grandfather|nana|papa|patient|pt|they"
    r"|husband|wife|aunt|uncle)"
)
_VERB = r"(?:['\u2019]s|['\u2019]m|\s+is|\s+was|\s+am|\s+are|\s+turned|\s+turns|\s+will\s+be|\s+just\s+turned)"
BEFORE_RE = re.compile(
    rf"(?:\b{_SUBJECT}{_VERB}(?:\s+now)?|\bage[ds]?\s*:?|\baged|\bturn(?:ed|ing|s)|\bat\s+age|(?:^|[.!?]\s+)At)\s*$",
    re.IGNORECASE,
)
AFTER_RE = re.compile(r"\s*-?\s*(?:years?|yrs?|y/?o\b|yo\b)(?:[\s-]*old\b)?|\s*-?\s*year-old\b", re.IGNORECASE)
STRICT_AFTER_RE = re.compile(r"\s*-?\s*(?:years?|yrs?)[\s-]*old\b|\s*(?:y/?o|yo)\b|\s*-year-old\b", re.IGNORECASE)
NUMBER_RE = re.compile(r"(?<![\w.$/-])(\d{2,3})(?=yo\b|y/o\b|[^\w%/]|$)(?!\.\d)", re.IGNORECASE)
# "At 92, ..." / "At 92 I'm ...": a sentence opening on an age.
AT_AFTER_RE = re.compile(r"\s*(?:,|I\b|I['\u2019]m|she\b|he\b|my\b|we\b)")
_UNIT_AFTER = re.compile(r"\s*(?:%|lbs?|pounds?|kg|mg|degrees?|minutes?|mins?|percent|dollars?|bpm|/)", re.IGNORECASE)


class AgeOver89Recognizer(Recognizer):
    NAME: ClassVar[str] = "age_over_89"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (NUMBER_RE, BEFORE_RE, STRICT_AFTER_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("number", "before", "strict_after")
    CONTEXT: ClassVar[tuple[str, ...]] = ("age", "aged", "years old", "yo", "turned", "she's", "he's")

    def analyze(self, text: str) -> list[Detection]:
        spans: list[tuple[int, int]] = []
        for m in self.pat["number"].finditer(text):
            if 90 <= int(m.group(1)) <= 125:
                spans.append(m.span(1))
        for run in find_spoken_numbers(text):
            if run.value is not None and 90 <= run.value <= 125 and not run.ordinal:
                spans.append((run.start, run.end))
        out: list[Detection] = []
        for s, e in spans:
            if _UNIT_AFTER.match(text, e):
                continue
            before = self.pat["before"].search(text, max(0, s - 30), s)
            if before is not None and before.group().strip() == "At" and not AT_AFTER_RE.match(text, e):
                before = None
            if before is not None or self.pat["strict_after"].match(text, e):
                out.append(self._det(s, e, "AGE_OVER_89", score=CUE_NEAR_SCORE))
        return out
