"""Social security numbers, full and partial.

* ``123-45-6789`` / ``123 45 6789``: validated when the area is not 000, 666 or 9xx, the
  group not 00 and the serial not 0000; an invalid one is kept only right after an SSN cue.
* ``123456789``: only after an SSN cue (nine bare digits are too common otherwise).
* partial: "last 4 of my SSN is 4821", "SSN ending in 4821", "last four of my social is six
  zero four eight" (spelled out), masked "XXX-XX-4821" -- all need an SSN cue.
* "my last four is 0419" with no number named anywhere in the clause: patients and staff say
  "last four" alone for the SSN's (card, account and phone numbers get named: "last 4 of my
  card"), so this one needs no SSN cue.
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_NEAR_SCORE, Detection, Recognizer
from intakeflow.pipeline.recognizers.cue_anchor import cue_context
from intakeflow.pipeline.recognizers.cue_index import CueHit, cues_for
from intakeflow.pipeline.spoken import find_spoken_numbers

FULL_RE = re.compile(r"(?<![\d-])(\d{3})([-\x20])(\d{2})\2(\d{4})(?![\d-])")
BARE_RE = re.compile(r"(?<![\d-])\d{9}(?![\d-])")
MASKED_RE = re.compile(r"(?<![\w*])[xX*#]{3}[-\x20]?[xX*#]{2}[-\x20]?\d{4}(?!\d)")
LAST4_RE = re.compile(
    r"\blast\s+(?:4|four)\b(?:\s+digits)?|\bending(?:\s+(?:in|with))?\b|\bends(?:\s+(?:in|with))?\b", re.IGNORECASE
)
BARE_LAST4_RE = re.compile(
    r"\blast\s+(?:4|four)(?:\s+digits)?\s*(?:is|are|was|:|-|=|would\s+be)?\s*(?<![\d-])(\d{4})(?![\d-])", re.IGNORECASE
)
#: a number of another kind named in the same clause takes "last four" away from the SSN
OTHER_NUMBER_RE = re.compile(
    r"\b(?:card|visa|mastercard|amex|discover|debit|credit|account|acct|phone|cell|number|member|id|policy|claim|"
    r"routing|check|cheque|plate|vin|serial|licen[cs]e|ticket|confirmation|order|invoice|statement|npi|dea|mrn|chart)\b",
    re.IGNORECASE,
)
FOUR_RE = re.compile(r"(?<![\d-])\d{4}(?![\d-])")
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")
_WINDOW = 40


def ssn_parts_ok(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


class SsnRecognizer(Recognizer):
    NAME: ClassVar[str] = "ssn"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (FULL_RE, BARE_RE, MASKED_RE, LAST4_RE, BARE_LAST4_RE, OTHER_NUMBER_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("full", "bare", "masked", "last4", "last4_alone", "other_number")
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("SSN")

    def analyze(self, text: str) -> list[Detection]:
        cues = cues_for(text, "SSN")
        out: list[Detection] = []
        for m in self.pat["full"].finditer(text):
            if ssn_parts_ok(m.group(1), m.group(3), m.group(4)):
                out.append(self._det(m.start(), m.end(), "SSN", validated=True))
            elif cues:
                # 9xx areas are ITINs or synthetic test values; an SSN cue anywhere keeps them.
                out.append(self._det(m.start(), m.end(), "SSN", score=CUE_NEAR_SCORE))
        if not cues:
            return out + self._last_four_alone(text, [])
        for m in self.pat["bare"].finditer(text):
            v = m.group()
            if _cue_before(text, cues, m.start()) and ssn_parts_ok(v[:3], v[3:5], v[5:]):
                out.append(self._det(m.start(), m.end(), "SSN", validated=True))
        for m in self.pat["masked"].finditer(text):
            if _cue_near(text, cues, m.start(), m.end()):
                out.append(self._det(m.start(), m.end(), "SSN", score=CUE_NEAR_SCORE))
        taken = [(d.start, d.end) for d in out]
        for s, e in self._partials(text, cues):
            if not any(s < te and ts < e for ts, te in taken):
                out.append(self._det(s, e, "SSN", score=CUE_NEAR_SCORE))
                taken.append((s, e))
        return out + self._last_four_alone(text, taken)

    def _last_four_alone(self, text: str, taken: list[tuple[int, int]]) -> list[Detection]:
        out: list[Detection] = []
        for m in self.pat["last4_alone"].finditer(text):
            s, e = m.span(1)
            if any(s < te and ts < e for ts, te in taken):
                continue
            clause = _clause_start(text, m.start())
            if self.pat["other_number"].search(text, clause, m.start()) or self.pat["other_number"].search(m.group(0)):
                continue
            out.append(self._det(s, e, "SSN", score=CUE_NEAR_SCORE))
        return out

    def _partials(self, text: str, cues: list[CueHit]) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for last in self.pat["last4"].finditer(text):
            if not _cue_near(text, cues, last.start(), last.end()):
                continue
            after = max([last.end()] + [c.end for c in cues if last.start() <= c.start <= last.end() + _WINDOW])
            stop = _clause_end(text, after, after + 30)
            m = FOUR_RE.search(text, after, stop)
            if m is not None:
                found.append(m.span())
                continue
            for run in find_spoken_numbers(text):
                if after <= run.start < stop and len(run.digits) == 4 and not run.ordinal:
                    found.append((run.start, run.end))
                    break
        return found


def _clause_end(text: str, start: int, limit: int) -> int:
    limit = min(limit, len(text))
    m = _SENTENCE_END.search(text, start, limit)
    return m.start() if m is not None else limit


def _clause_start(text: str, pos: int) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, pos)]
    return ends[-1] if ends else 0


def _cue_before(text: str, cues: list, pos: int) -> bool:
    return any(c.end <= pos and pos - c.end <= _WINDOW and not _SENTENCE_END.search(text, c.end, pos) for c in cues)


def _cue_near(text: str, cues: list, start: int, end: int) -> bool:
    for c in cues:
        if c.end <= start and start - c.end <= _WINDOW and not _SENTENCE_END.search(text, c.end, start):
            return True
        if c.start >= end and c.start - end <= _WINDOW and not _SENTENCE_END.search(text, end, c.start):
            return True
    return False
