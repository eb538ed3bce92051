"""Date surface forms. The DATE span is the date itself: weekday, article and preposition stay outside."""

from __future__ import annotations

import random

from . import pools, spoken
from .builder import Frag, lit, phi


def _suffix(d: int) -> str:
    if 10 <= d % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


def written(r: random.Random, y: int, m: int, d: int, with_year: bool) -> str:
    mon, mon3 = pools.MONTHS[m - 1], pools.MONTHS_SHORT[m - 1]
    if with_year:
        k = r.randrange(14)
        return (
            f"{m}/{d}/{y}",
            f"{m:02d}/{d:02d}/{y}",
            f"{m}/{d}/{y % 100:02d}",
            f"{m:02d}-{d:02d}-{y}",
            f"{y}-{m:02d}-{d:02d}",
            f"{mon} {d}, {y}",
            f"{mon3} {d}, {y}",
            f"{mon} {d}{_suffix(d)}, {y}",
            f"{d} {mon} {y}",
            f"{mon3}. {d}, {y}" if mon3 != "May" else f"May {d}, {y}",
            f"{m}.{d}.{y}",
            f"{m:02d}/{d:02d}/{y % 100:02d}",
            f"{mon3}-{d:02d}-{y}",
            f"{y}{m:02d}{d:02d}",
        )[k]
    k = r.randrange(9)
    return (
        f"{m}/{d}",
        f"{m:02d}/{d:02d}",
        f"{mon} {d}",
        f"{mon} {d}{_suffix(d)}",
        f"{mon3} {d}",
        f"{d}{_suffix(d)} of {mon}",
        f"{mon3} {d}{_suffix(d)}",
        f"{m}-{d}",
        f"{mon3}. {d}" if mon3 != "May" else f"May {d}",
    )[k]


def said(r: random.Random, y: int, m: int, d: int, with_year: bool, allow_the: bool = True) -> list[Frag]:
    """Spoken date; in ``the twenty-second of June`` the article stays outside the span."""
    mon = pools.MONTHS[m - 1]
    if r.random() < 0.3:
        mon = mon.lower()
    year = (r.choice((", ", " ")) + spoken.year_words(y, r)) if with_year else ""
    if allow_the and r.random() < 0.3:
        return [lit("the "), phi(f"{spoken.ordinal(d)} of {mon}{year}", "DATE")]
    return [phi(f"{mon} {spoken.ordinal(d)}{year}", "DATE")]


def dob_frags(r: random.Random, ctx_spoken: bool) -> list[Frag]:
    y = r.randint(1931, 2021)
    m, d = r.randint(1, 12), r.randint(1, 28)
    if ctx_spoken and r.random() < 0.7:
        return said(r, y, m, d, True, allow_the=False)
    return [phi(written(r, y, m, d, True), "DATE")]


def event_frags(r: random.Random, ctx_spoken: bool) -> list[Frag]:
    """A service/appointment date in one of many shapes, with the non-date parts outside the span."""
    y = r.randint(2023, 2025)
    m, d = r.randint(1, 12), r.randint(1, 28)
    if ctx_spoken and r.random() < 0.6:
        if r.random() < 0.25:
            return [lit("the "), phi(spoken.ordinal(d), "DATE")]
        return said(r, y, m, d, r.random() < 0.3)
    k = r.random()
    if k < 0.1:
        return [lit("the "), phi(f"{d}{_suffix(d)}", "DATE")]
    if k < 0.17:
        return [lit(r.choice(("in ", "back in ", "early ", "late "))), phi(r.choice(pools.MONTHS), "DATE")]
    if k < 0.24:
        mon = r.choice(pools.MONTHS + pools.MONTHS_SHORT)
        return [lit(r.choice(("in ", "from ", "since "))), phi(f"{mon} {y}", "DATE")]
    if k < 0.36:
        wd = r.choice(pools.WEEKDAYS + pools.WEEKDAYS_SHORT)
        if r.random() < 0.25:
            return [lit(wd + " the "), phi(f"{d}{_suffix(d)}", "DATE")]
        return [lit(wd + r.choice((" ", ", ", " "))), phi(written(r, y, m, d, False), "DATE")]
    return [lit(r.choice(("on ", "", "on ", ""))), phi(written(r, y, m, d, r.random() < 0.4), "DATE")]
