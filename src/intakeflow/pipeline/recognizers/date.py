"""Dates and date elements (never a year alone, a weekday alone, a time or a ratio).

Numeric: ``11/03/1985``, ``2024-03-14``, ``11.03.1985``, ``3/14`` (with context checks
against ratings "1/5", blood pressure "142/90", doses "1/2 tab"). Named months:
``March 3rd``, ``Mar. 3, 2024``, ``3rd of March``, ``Jan 2024``, a month alone after a
preposition (``in June`` -> ``June``), ``the 22nd`` -> ``22nd``. Spelled out as in
voicemail: ``January fifth, nineteen eighty-eight``, ``the fifth of March``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_NEAR_SCORE, FORMAT_SCORE, Detection, Recognizer
from intakeflow.pipeline.spoken import SpokenNumber, find_spoken_numbers

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
MONTH_CAP = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_ORD = r"(?:st|nd|rd|th)"
_YEAR = r"(?:19|20)\d\d"

NUMERIC_RE = re.compile(r"(?<![\w/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/]|[.-]\d)")
ISO_RE = re.compile(rf"(?<![\w/.-])({_YEAR})([/-])(\d{{1,2}})\2(\d{{1,2}})(?![\w/]|[.-]\d)")
SHORT_RE = re.compile(r"(?<![\w/.$-])(\d{1,2})/(\d{1,2})(?![\w/]|\.\d)")
MONTH_DAY_RE = re.compile(
    rf"\b(?P<m>{MONTH})\b\.?\s+(?:the\s+)?(?P<d>\d{{1,2}})(?:{_ORD})?\b(?!:|\s*(?:am|pm|a\.m|p\.m|mg|%))"
    rf"(?:,?\s+(?P<y>{_YEAR})\b)?",
    re.IGNORECASE,
)
DAY_MONTH_RE = re.compile(
    rf"\b(?P<d>\d{{1,2}})(?:{_ORD})?\s+(?:of\s+)?(?P<m>{MONTH})\b(?:\.(?=\s|,))?(?:,?\s+(?P<y>{_YEAR})\b)?",
    re.IGNORECASE,
)
MONTH_YEAR_RE = re.compile(rf"\b(?P<m>{MONTH})\b\.?,?\s+(?:of\s+)?(?:'\d\d\b|{_YEAR}\b)", re.IGNORECASE)
MONTH_ALONE_RE = re.compile(
    r"\b(?:in|since|during|until|till|til|by|before|after|from|of|early|late|mid|last|this|next|through|around"
    rf"|end\s+of|beginning\s+of|start\s+of|middle\s+of)\s+(?:early\s+|late\s+|mid-?)?(?P<m>{MONTH_CAP})\b(?!\.?\s*\d)",
)
THE_ORDINAL_RE = re.compile(rf"\bthe\s+(?P<d>\d{{1,2}}{_ORD})\b", re.IGNORECASE)
MONTH_WORD_RE = re.compile(rf"\b{MONTH}\b\.?", re.IGNORECASE)
DOB_CUE_RE = re.compile(
    r"\b(?:date\s+of\s+birth|dob|d\.o\.b\.?|birth\s*date|birthday|born(?:\s+on)?)\b(?:\s*(?:is|was|:|-|,))*\s*",
    re.IGNORECASE,
)
SPOKEN_THE_RE = re.compile(r"\b(?:on|by|until|till|before|after|since|from|starting|through)\s+the\s+$", re.IGNORECASE)

# Nouns after an ordinal that make it a count, not a day ("the 3rd floor", "the 2nd dose").
_NOT_DAY_AFTER = re.compile(
    r"\s*(?:floor|fl|time|times|dose|doses|visit|appointment|grade|step|week|day|month|year|trimester"
    r"|opinion|round|cycle|shot|injection|try|attempt|one|place|person|page|line|option|tooth|molar"
    r"|child|kid|baby|pregnancy|surgery|session|refill|bill|statement|claim|call|message|letter|notice"
    r"|avenue|ave|street|st|ward|edition|degree|percentile|patient|provider|doctor|reading|test|lab)\b",
    re.IGNORECASE,
)
# Words around "a/b" that make it a rating, a pressure, a fraction or a dose.
_RATIO_BEFORE = re.compile(
    r"(?:pain|rate|rated|rating|scale|score|level|bp|b/p|pressure|grade|stars?|review|apgar|vision|"
    r"dose|take|took|taking|tab|tablet|split|about|out\s+of|is\s+at|was\s+at|at\s+a)\W*(?:\w+\W+){0,2}$|\d\s$",
    re.IGNORECASE,
)
_RATIO_AFTER = re.compile(
    r"\s*(?:pain|stars?|tabs?|tablets?|pills?|caps?|capsules?|cups?|teaspoons?|tsp|tbsp|mg|ml|mmhg|bpm|dose"
    r"|of\s+(?:a|an|the|my|his|her)|inch|inches|in\b|miles?|hours?|hrs?|times|scale|rating|on\s+the|split|ratio)\b",
    re.IGNORECASE,
)


def _valid_md(month: int, day: int, year: int | None = None) -> bool:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return False
    try:
        date(year if year is not None else 2000, month, day)
    except ValueError:
        return False
    return True


def _month_num(word: str) -> int:
    return _MONTHS[word[:3].lower()]


def _spoken_day(run: SpokenNumber) -> bool:
    return run.value is not None and 1 <= run.value <= 31 and run.words <= 3


def _spoken_year(run: SpokenNumber) -> bool:
    return len(run.digits) == 4 and 1900 <= int(run.digits) <= 2099 and not run.ordinal


class DateRecognizer(Recognizer):
    NAME: ClassVar[str] = "date"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (
        NUMERIC_RE,
        ISO_RE,
        SHORT_RE,
        MONTH_DAY_RE,
        DAY_MONTH_RE,
        MONTH_YEAR_RE,
        MONTH_ALONE_RE,
        THE_ORDINAL_RE,
    )
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = (
        "numeric", "iso", "short", "month_day", "day_month", "month_year", "month_alone", "the_ordinal",
    )  # fmt: skip
    CONTEXT: ClassVar[tuple[str, ...]] = ("dob", "date of birth", "born", "on", "since", "date of service")

    def analyze(self, text: str) -> list[Detection]:
        cands: list[Detection] = []
        self._numeric(text, cands)
        self._named(text, cands)
        self._spoken(text, cands)
        return cands

    def _numeric(self, text: str, out: list[Detection]) -> None:
        for m in self.pat["numeric"].finditer(text):
            a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
            if sep == "." and len(y) != 4:
                continue
            year = int(y) if len(y) == 4 else None
            if _valid_md(a, b, year) or _valid_md(b, a, year):
                out.append(self._det(m.start(), m.end(), "DATE", validated=True))
        for m in self.pat["iso"].finditer(text):
            if _valid_md(int(m.group(3)), int(m.group(4)), int(m.group(1))):
                out.append(self._det(m.start(), m.end(), "DATE", validated=True))
        for m in self.pat["short"].finditer(text):
            a, b = int(m.group(1)), int(m.group(2))
            if not _valid_md(a, b):
                continue
            before = text[max(0, m.start() - 30) : m.start()]
            if _RATIO_BEFORE.search(before) or _RATIO_AFTER.match(text, m.end()):
                continue
            if b in (5, 10) and a <= b and re.search(r"\bout\s+of\b", text[m.end() : m.end() + 12]):
                continue
            out.append(self._det(m.start(), m.end(), "DATE", score=FORMAT_SCORE))

    def _named(self, text: str, out: list[Detection]) -> None:
        self._the_ordinal(text, out)
        # every named-month pattern needs a month word: one search spares four scans of most messages
        if not MONTH_WORD_RE.search(text):
            return
        for m in self.pat["month_day"].finditer(text):
            has_suffix = text[m.end("d") : m.end("d") + 1].isalpha()
            if m.group("m").lower() == "may" and m.group("m") != "May" and not (m.group("y") or has_suffix):
                continue
            if _valid_md(_month_num(m.group("m")), int(m.group("d"))):
                self._add(out, m.start(), m.end(), CUE_NEAR_SCORE)
        for m in self.pat["day_month"].finditer(text):
            if _valid_md(_month_num(m.group("m")), int(m.group("d"))) and not (
                m.group("m").lower() == "may" and m.group("m") != "May"
            ):
                self._add(out, m.start(), m.end(), CUE_NEAR_SCORE)
        for m in self.pat["month_year"].finditer(text):
            if m.group("m").lower() != "may" or m.group("m") == "May":
                self._add(out, m.start(), m.end(), CUE_NEAR_SCORE)
        for m in self.pat["month_alone"].finditer(text):
            self._add(out, m.start("m"), m.end("m"), FORMAT_SCORE)

    def _the_ordinal(self, text: str, out: list[Detection]) -> None:
        for m in self.pat["the_ordinal"].finditer(text):
            day = int(m.group("d")[:-2])
            if 1 <= day <= 31 and not _NOT_DAY_AFTER.match(text, m.end()):
                self._add(out, m.start("d"), m.end("d"), FORMAT_SCORE)

    def _spoken(self, text: str, out: list[Detection]) -> None:
        runs = find_spoken_numbers(text)
        if not runs:
            return
        self._spoken_numeric(text, runs, out)
        months = list(MONTH_WORD_RE.finditer(text))
        for k, run in enumerate(runs):
            if not _spoken_day(run):
                continue
            # "January fifth[, nineteen eighty-eight]"
            for mm in months:
                gap = text[mm.end() : run.start]
                if re.fullmatch(r"\s+(?:the\s+)?", gap) and (mm.group()[0].isupper() or run.ordinal):
                    end = run.end
                    if k + 1 < len(runs) and _spoken_year(runs[k + 1]):
                        if re.fullmatch(r",?\s+", text[run.end : runs[k + 1].start]):
                            end = runs[k + 1].end
                    else:
                        y = re.match(rf",?\s+{_YEAR}\b", text[run.end :])
                        if y:
                            end = run.end + y.end()
                    self._add(out, mm.start(), end, CUE_NEAR_SCORE)
                    break
            else:
                if not run.ordinal:
                    continue
                # "the fifth of March" / "on the fifth"
                of_month = re.match(rf"\s+of\s+({MONTH})\b", text[run.end :], re.IGNORECASE)
                if of_month:
                    self._add(out, run.start, run.end + of_month.end(), CUE_NEAR_SCORE)
                elif SPOKEN_THE_RE.search(text[max(0, run.start - 20) : run.start]) and not _NOT_DAY_AFTER.match(text, run.end):
                    self._add(out, run.start, run.end, FORMAT_SCORE)

    def _spoken_numeric(self, text: str, runs: tuple[SpokenNumber, ...], out: list[Detection]) -> None:
        """ "date of birth is four twelve nineteen eighty" -> month, day, year read as numbers."""
        for cue in DOB_CUE_RE.finditer(text):
            run = next((r for r in runs if r.start == cue.end()), None)
            if run is None or run.ordinal or len(run.groups) < 3:
                continue
            month, day = run.groups[0], run.groups[1]
            year = "".join(str(g) for g in run.groups[2:])
            if _valid_md(month, day) and (len(year) == 2 or (len(year) == 4 and 1900 <= int(year) <= 2099)):
                self._add(out, run.start, run.end, CUE_NEAR_SCORE)

    def _add(self, out: list[Detection], start: int, end: int, score: float) -> None:
        for i, d in enumerate(out):
            if start < d.end and d.start < end:
                if end - start > d.end - d.start and not d.validated:
                    out[i] = self._det(start, end, "DATE", score=score)
                return
        out.append(self._det(start, end, "DATE", score=score))
