"""Spelled-out numbers and digits ("five oh four", "double five", "nineteen eighty-eight").

Voicemail transcripts and dictated messages spell identifiers out. This module finds
runs of number words and reads them two ways:

* ``digits``: the digit string a listener would write down, group by group
  ("five oh four" -> ``504``, "nineteen eighty-eight" -> ``1988``, "double five" -> ``55``);
* ``value``: the cardinal value when the run is one number ("three hundred twelve" -> 312,
  "forty-five hundred" -> 4500), else ``None``.

:func:`spoken_amount` turns an amount span (spelled out or written with digits) into a
:class:`~decimal.Decimal` for the insurance normaliser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

UNITS: dict[str, int] = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
TEENS: dict[str, int] = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
    "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30,
}  # fmt: skip
REPEAT: dict[str, int] = {"double": 2, "triple": 3}
SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000}

# Words that may start a run on their own ("oh", "o" and "a" need a number after them).
_CORE = set(UNITS) | set(TEENS) | set(TENS) | set(ORDINALS) | set(REPEAT)
_ALL = _CORE | set(SCALES) | {"and", "a"}
_WORD = re.compile(r"[A-Za-z]+")
_GAP = re.compile(r"\s*(?:-|,)?\s*")
_WEAK_START = {"oh", "o", "a", "and"}


@dataclass(frozen=True)
class SpokenNumber:
    """A run of number words ``text[start:end]``."""

    start: int
    end: int
    digits: str
    value: int | None
    ordinal: bool
    words: int
    groups: tuple[int, ...] = ()


@dataclass
class _Cursor:
    toks: list[str]
    i: int = 0

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None


def _below_100(c: _Cursor) -> int | None:
    t = c.peek()
    if t is None:
        return None
    if t in TEENS:
        c.i += 1
        return TEENS[t]
    if t in TENS:
        c.i += 1
        nxt = c.peek()
        if nxt in UNITS and UNITS[nxt] > 0 and nxt not in ("o",):
            c.i += 1
            return TENS[t] + UNITS[nxt]
        return TENS[t]
    if t in UNITS:
        c.i += 1
        return UNITS[t]
    return None


def _cardinal(c: _Cursor) -> int | None:
    """Parse one number ("forty-five hundred", "two thousand five", "three hundred twelve")."""
    if c.peek() == "a" and c.peek(1) in SCALES:
        c.i += 1
        small: int | None = 1
    else:
        small = _below_100(c)
    if small is None:
        return None
    value = small
    if c.peek() == "hundred":
        c.i += 1
        value = small * 100
        value += _tail(c)
    if c.peek() == "thousand" and value < 1000:
        c.i += 1
        value *= 1000
        rest = _Cursor(c.toks, c.i)
        if rest.peek() == "and":
            rest.i += 1
        sub = _cardinal(rest)
        if sub is not None and sub < 1000:
            c.i = rest.i
            value += sub
    return value


def _tail(c: _Cursor) -> int:
    """The "and twelve" after "hundred"; zero when absent."""
    save = c.i
    if c.peek() == "and":
        c.i += 1
    t = c.peek()
    if t in TEENS or t in TENS or (t in UNITS and t not in ("oh", "o")):
        sub = _below_100(c)
        if sub is not None:
            return sub
    c.i = save
    return 0


def _parse(toks: list[str]) -> tuple[list[tuple[int, str]], bool] | None:
    """Split a run into groups ``(value, digit string)``; second item: ends in an ordinal."""
    c = _Cursor(toks)
    groups: list[tuple[int, str]] = []
    ordinal = False
    while c.peek() is not None:
        t = c.peek()
        assert t is not None
        if t in REPEAT and c.peek(1) in UNITS:
            d = UNITS[c.peek(1) or "zero"]
            groups.append((int(str(d) * REPEAT[t]), str(d) * REPEAT[t]))
            c.i += 2
            continue
        if t in ORDINALS:
            val = ORDINALS[t]
            if groups and groups[-1][0] % 10 == 0 and 20 <= groups[-1][0] <= 90 and val < 10:
                prev = groups.pop()[0]
                val += prev
            groups.append((val, str(val)))
            c.i += 1
            ordinal = True
            break
        if t in TENS and c.peek(1) in ORDINALS and ORDINALS[c.peek(1) or "first"] < 10:
            val = TENS[t] + ORDINALS[c.peek(1) or "first"]
            groups.append((val, str(val)))
            c.i += 2
            ordinal = True
            break
        start = c.i
        card = _cardinal(c)
        if card is None or c.i == start:
            return None
        groups.append((card, str(card)))
    return groups, ordinal


def _single_value(groups: list[tuple[int, str]]) -> int | None:
    if len(groups) == 1:
        return groups[0][0]
    # "one fifty" / "twelve fifty": hundreds said without the word hundred.
    if len(groups) == 2 and 1 <= groups[0][0] <= 99 and 10 <= groups[1][0] <= 99:
        return groups[0][0] * 100 + groups[1][0]
    return None


@lru_cache(maxsize=256)
def find_spoken_numbers(text: str) -> tuple[SpokenNumber, ...]:
    """All maximal runs of number words in ``text``, left to right."""
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    out: list[SpokenNumber] = []
    i = 0
    n = len(words)
    while i < n:
        s, _e, w = words[i]
        if w not in _CORE and not (w in _WEAK_START and i + 1 < n and words[i + 1][2] in _CORE | set(SCALES)):
            i += 1
            continue
        if w in ("a", "and") and not (i + 1 < n and words[i + 1][2] in SCALES):
            i += 1
            continue
        j = i
        while j + 1 < n and words[j][2] not in ORDINALS:
            gap = text[words[j][1] : words[j + 1][0]]
            if words[j + 1][2] not in _ALL or not _GAP.fullmatch(gap):
                break
            j += 1
        # Drop connective words at the end ("two and", "five a").
        while j > i and words[j][2] in ("and", "a"):
            j -= 1
        toks = [words[k][2] for k in range(i, j + 1)]
        parsed = _parse(toks)
        if parsed is not None and not (len(toks) == 1 and toks[0] in ("oh", "o", "a")):
            groups, ordinal = parsed
            digits = "".join(g[1] for g in groups)
            values = tuple(g[0] for g in groups)
            out.append(SpokenNumber(s, words[j][1], digits, _single_value(groups), ordinal, len(toks), values))
        i = j + 1
    return tuple(out)


def parse_spoken(text: str) -> SpokenNumber | None:
    """The run when ``text`` (stripped) is exactly one run of number words, else ``None``."""
    runs = find_spoken_numbers(text)
    if len(runs) != 1:
        return None
    r = runs[0]
    if text[: r.start].strip() or text[r.end :].strip():
        return None
    return r


_NUMERIC_AMOUNT = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*(k\b)?", re.IGNORECASE)
_CENTS = re.compile(r"\bcents?\b", re.IGNORECASE)
_CENTS_UNIT = re.compile(r"\b(?:dollars?|bucks?)\b\s*(?:and\s+)?$", re.IGNORECASE)
_CENT = Decimal("0.01")


def spoken_amount(text: str) -> Decimal | None:
    """Amount of an amount span: ``"$1,250.00"``, ``"35 bucks"``, ``"forty-five hundred dollars"``,
    ``"twelve dollars and fifty cents"``. Returns ``None`` when no amount can be read."""
    m = _NUMERIC_AMOUNT.search(text)
    if m is not None:
        try:
            value = Decimal(m.group(1).replace(",", ""))
            if m.group(2):
                value += Decimal("0." + m.group(2).ljust(2, "0"))
        except InvalidOperation:
            return None
        if m.group(3):
            value *= 1000
        return value.quantize(_CENT)
    runs = [r for r in find_spoken_numbers(text) if not r.ordinal and r.value is not None]
    if not runs:
        return None
    dollars = Decimal(runs[0].value or 0)
    if len(runs) >= 2 and _CENTS.search(text, runs[1].end) and runs[1].value is not None:
        between = text[runs[0].end : runs[1].start]
        if (_CENTS_UNIT.search(between) or not between.strip(" ,")) and runs[1].value < 100:
            dollars += Decimal(runs[1].value) / 100
    elif _CENTS.match(text, runs[0].end + 1) and runs[0].value is not None and runs[0].value < 100:
        dollars = Decimal(runs[0].value) / 100
    return dollars.quantize(_CENT)
