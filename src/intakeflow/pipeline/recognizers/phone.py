"""Telephone and fax numbers (North American numbering plan plus ``+`` international).

Forms: ``(617) 555-1234``, ``555-0142`` after a phone word, ``617.555.1234``, ``617-555-1234 x22``, ``+1 617 555 1234``,
ten bare digits after a phone cue, ten spaced digits ("2 0 6 5 5 5 0 1 5 5") and spelled
out ("five oh four, five five five, zero one four seven"). A number is a FAX when the
nearest cue word before it (same sentence, within 30 characters) is a fax word, or
"fax" follows right after it.
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_NEAR_SCORE, Detection, Recognizer
from intakeflow.pipeline.recognizers.cue_index import find_cues
from intakeflow.pipeline.spoken import find_spoken_numbers

_EXT = r"(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?"
NANP_RE = re.compile(
    r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\(\s*[2-9]\d{2}\s*\)[\s.-]?|[2-9]\d{2}[\s.-])[2-9]\d{2}[\s.-]\d{4}" + _EXT + r"(?![\w-])",
    re.IGNORECASE,
)
INTL_RE = re.compile(r"(?<![\w+])\+(?!1[\s.(-]?\d{3})\d{1,3}(?:[\s.-]?\d){6,12}(?![\w-])")
BARE_RE = re.compile(r"(?<![\w+.-])(?:\+?1)?[2-9]\d{2}[2-9]\d{6}(?![\w-])")
LOCAL_RE = re.compile(r"(?<![\w+.-])[2-9]\d{2}[-.]\d{4}(?![\w-]|[.-]\d)")
SPACED_RE = re.compile(r"(?<![\w])\d(?:,?\x20\d){9,10}(?![\w])")
_PHONE_WORDS = r"phone|cell|mobile|tel|telephone|call|text|reach|contact|home|work|office|landline"
_NEUTRAL_WORDS = r"number|line|at"
_FAX_WORDS = r"fax|faxed|faxing|facsimile|fx"
CUE_WORD_RE = re.compile(rf"\b(?:(?P<fax>{_FAX_WORDS})|(?P<phone>{_PHONE_WORDS})|(?P<neutral>{_NEUTRAL_WORDS}))\b", re.IGNORECASE)
FAX_AFTER_RE = re.compile(r"[ \t]*[(\[]?[ \t]*(?:fax|facsimile)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n")
_WINDOW = 30


def nanp_ok(digits: str) -> bool:
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789"


class PhoneRecognizer(Recognizer):
    NAME: ClassVar[str] = "phone"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (NANP_RE, INTL_RE, BARE_RE, LOCAL_RE, SPACED_RE, CUE_WORD_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("nanp", "intl", "bare", "local", "spaced", "cue_word")
    CONTEXT: ClassVar[tuple[str, ...]] = ("phone", "cell", "call", "text", "fax", "number", "reach")

    def analyze(self, text: str) -> list[Detection]:
        found: list[tuple[int, int, bool]] = []
        for m in self.pat["nanp"].finditer(text):
            # "617 555 1234" right after "member ID" is that ID written in groups.
            plain = not any(c in m.group() for c in "()-.+")
            if not (plain and self._id_cue(text, m.start())):
                found.append((m.start(), m.end(), True))
        for m in self.pat["intl"].finditer(text):
            found.append((m.start(), m.end(), False))
        for m in self.pat["local"].finditer(text):
            # Seven-digit local numbers only after a phone word ("call me at 555-0142").
            if self._cue_kind(text, m.start()) is not None and not self._id_cue(text, m.start()):
                found.append((m.start(), m.end(), False))
        for rx in (self.pat["bare"], self.pat["spaced"]):
            for m in rx.finditer(text):
                digits = "".join(c for c in m.group() if c.isdigit())
                if nanp_ok(digits) and self._cue_kind(text, m.start()) is not None and not self._id_cue(text, m.start()):
                    found.append((m.start(), m.end(), True))
        for run in find_spoken_numbers(text):
            if nanp_ok(run.digits) and run.words >= 7 and not self._id_cue(text, run.start):
                found.append((run.start, run.end, False))
        out: list[Detection] = []
        for s, e, ok in found:
            if any(s < d.end and d.start < e for d in out):
                continue
            label = "FAX" if self._is_fax(text, s, e) else "PHONE"
            out.append(self._det(s, e, label, validated=ok, score=None if ok else CUE_NEAR_SCORE))
        return out

    def _cue_kind(self, text: str, start: int) -> str | None:
        """``fax`` / ``phone`` for the nearest cue word before ``start`` in the same sentence."""
        lo = max(0, start - _WINDOW)
        kind: str | None = None
        for m in self.pat["cue_word"].finditer(text, lo, start):
            if _SENTENCE_END.search(text, m.end(), start):
                continue
            if m.group("fax"):
                kind = "fax"
            elif m.group("phone") or kind is None:
                kind = "phone"
        return kind

    def _is_fax(self, text: str, start: int, end: int) -> bool:
        if FAX_AFTER_RE.match(text, end):
            return True
        return self._cue_kind(text, start) == "fax"

    @staticmethod
    def _id_cue(text: str, start: int) -> bool:
        """A non-phone identifier cue (account, member ID, ...) just before: not a phone."""
        for c in find_cues(text):
            if c.end <= start and start - c.end <= 25 and not _SENTENCE_END.search(text, c.end, start):
                return True
        return False
