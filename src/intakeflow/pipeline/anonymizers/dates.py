"""Parse the common written date forms and render another date in the same form.

Handled: ``11/03/1985``, ``3/14``, ``03-14-24``, ``2024-03-14``, ``March 3rd``,
``Mar. 3, 2024``, ``3 March 2024``, ``3rd of March``. Numeric dates are read US style
(month first) unless the first number cannot be a month. Partial dates (a month alone,
``Jan 2024``, a bare ``22nd``) and spelled-out days return ``None``: shifting them by a
number of days is not meaningful, so callers fall back to another operator.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH_NAMES = {v: k for k, v in MONTHS.items()}
# year used when a date has none: a leap year, so "2/29" parses
_REF_YEAR = 2000

_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_ISO = re.compile(r"(\d{4})([/.-])(\d{1,2})\2(\d{1,2})")
_MONTH_FIRST = re.compile(
    r"(?P<mon>[A-Za-z]+)(?P<dot>\.?)\s+(?P<day>\d{1,2})(?P<suf>st|nd|rd|th|ST|ND|RD|TH)?"
    r"(?:(?P<comma>,?)(?P<sp>\s+)(?P<year>\d{4}))?"
)
_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})(?P<suf>st|nd|rd|th|ST|ND|RD|TH)?\s+(?P<of>of\s+)?(?P<mon>[A-Za-z]+)(?P<dot>\.?)"
    r"(?:(?P<comma>,?)(?P<sp>\s+)(?P<year>\d{4}))?"
)


@dataclass(frozen=True)
class DateForm:
    """A parsed date and a renderer that writes any date the way the original was written."""

    date: dt.date
    has_year: bool
    render: Callable[[dt.date], str]


def _month(word: str) -> int | None:
    w = word.lower()
    if w in MONTHS:
        return MONTHS[w]
    if len(w) >= 3:
        hits = [n for name, n in MONTHS.items() if name.startswith(w)]
        if len(hits) == 1:
            return hits[0]
    return None


def _full_year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    # two-digit years: only the leap-year rule depends on the century here
    return 2000 + yy if yy < 50 else 1900 + yy


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _pad(n: int, padded: bool) -> str:
    return f"{n:02d}" if padded else str(n)


def _is_padded(*parts: str) -> bool:
    """Whether the writer zero-pads: a leading zero seen, or every part two digits wide."""
    return any(p.startswith("0") for p in parts) or all(len(p) == 2 for p in parts)


def ordinal_suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _styled(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like.islower():
        return word.lower()
    return word.capitalize()


def _month_word(month: int, like: str) -> str:
    full = _MONTH_NAMES[month]
    if like.lower() in MONTHS:  # written in full
        return _styled(full, like)
    short = "sept" if (len(like) == 4 and month == 9) else full[:3]
    return _styled(short, like)


def _parse_numeric(value: str) -> DateForm | None:
    m = _NUMERIC.fullmatch(value)
    if m is None:
        return None
    a, sep, b, y = m.group(1), m.group(2), m.group(3), m.group(4)
    month_text, day_text, month_first = a, b, True
    if int(a) > 12 >= int(b):
        month_text, day_text, month_first = b, a, False
    if y is None and sep == ".":
        return None  # "3.14" is as likely a decimal as a date
    year = _full_year(y) if y else _REF_YEAR
    date = _make_date(year, int(month_text), int(day_text))
    if date is None:
        return None

    padded = _is_padded(month_text, day_text)

    def render(d: dt.date) -> str:
        mm, dd = _pad(d.month, padded), _pad(d.day, padded)
        first, second = (mm, dd) if month_first else (dd, mm)
        out = f"{first}{sep}{second}"
        if y:
            out += sep + (str(d.year) if len(y) == 4 else f"{d.year % 100:02d}")
        return out

    return DateForm(date, y is not None, render)


def _parse_iso(value: str) -> DateForm | None:
    m = _ISO.fullmatch(value)
    if m is None:
        return None
    y, sep, mo, da = m.groups()
    date = _make_date(int(y), int(mo), int(da))
    if date is None:
        return None
    padded = _is_padded(mo, da)
    return DateForm(date, True, lambda d: f"{d.year:04d}{sep}{_pad(d.month, padded)}{sep}{_pad(d.day, padded)}")


def _parse_named(value: str) -> DateForm | None:
    for pattern, day_first in ((_MONTH_FIRST, False), (_DAY_FIRST, True)):
        m = pattern.fullmatch(value)
        if m is None:
            continue
        month = _month(m.group("mon"))
        if month is None:
            continue
        y = m.group("year")
        date = _make_date(int(y) if y else _REF_YEAR, month, int(m.group("day")))
        if date is None:
            return None
        return DateForm(date, y is not None, _named_renderer(m, day_first))
    return None


def _named_renderer(m: re.Match[str], day_first: bool) -> Callable[[dt.date], str]:
    mon_like, day_like, suf = m.group("mon"), m.group("day"), m.group("suf")
    dot, of = m.group("dot"), m.group("of") if day_first else None

    def render(d: dt.date) -> str:
        mon = _month_word(d.month, mon_like)
        mon += dot if mon.lower() not in MONTHS else ""
        day = _pad(d.day, day_like.startswith("0"))
        if suf:
            day += ordinal_suffix(d.day).upper() if suf.isupper() else ordinal_suffix(d.day)
        out = f"{day} {of or ''}{mon}" if day_first else f"{mon} {day}"
        if m.group("year"):
            out += f"{m.group('comma')}{m.group('sp')}{d.year}"
        return out

    return render


def parse_date(value: str) -> DateForm | None:
    """The date in ``value`` (the whole string must be a date), or ``None``."""
    value = value.strip()
    for parser in (_parse_iso, _parse_numeric, _parse_named):
        form = parser(value)
        if form is not None:
            return form
    return None
