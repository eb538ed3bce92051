"""How numbers, dates, IDs and emails come out of a speech-to-text voicemail transcript."""

from __future__ import annotations

import random

ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
ORD = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        t, o = divmod(n, 10)
        return TENS[t] + ("-" + ONES[o] if o else "")
    if n < 1000:
        h, rest = divmod(n, 100)
        return ONES[h] + " hundred" + (" " + words(rest) if rest else "")
    th, rest = divmod(n, 1000)
    return words(th) + " thousand" + (" " + words(rest) if rest else "")


def ordinal(n: int) -> str:
    w = words(n)
    head, _, last = w.rpartition("-")
    if last in ORD:
        last = ORD[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return (head + "-" if head else "") + last


def year_words(y: int, r: random.Random) -> str:
    if 2000 <= y < 2010:
        return "two thousand " + ONES[y - 2000] if y > 2000 else "two thousand"
    if y >= 2010 and r.random() < 0.5:
        return "two thousand " + words(y - 2000)
    hi, lo = divmod(y, 100)
    if lo == 0:
        return words(hi) + " hundred"
    return words(hi) + " " + (("oh " + ONES[lo]) if lo < 10 else words(lo))


def digit_word(c: str, r: random.Random) -> str:
    if c == "0" and r.random() < 0.3:
        return "oh"
    return ONES[int(c)]


def spell_digits(s: str, r: random.Random, as_words: bool = True) -> str:
    """``555-0142`` -> ``five five five, zero one four two`` (or ``5 5 5 0 1 4 2``)."""
    groups: list[list[str]] = [[]]
    for c in s:
        if c.isdigit():
            groups[-1].append(digit_word(c, r) if as_words else c)
        elif c.isalpha():
            groups[-1].append(c.upper())
        elif groups[-1]:
            groups.append([])
    sep = r.choice((", ", " ", ", ")) if as_words else " "
    return sep.join(" ".join(g) for g in groups if g)


def spell_id(s: str, r: random.Random) -> str:
    """Letter-by-letter reading of an alphanumeric ID: ``AMB7720`` -> ``A M B 7 7 2 0``."""
    k = r.random()
    if k < 0.5:
        return " ".join(c.upper() if c.isalpha() else c for c in s if c.isalnum())
    if k < 0.8:
        return spell_digits(s, r, True)
    return " ".join(c.upper() if c.isalpha() else c for c in s if c.isalnum() or c == "-").replace(" - ", ", ")


def amount_words(v: int, r: random.Random) -> str:
    if v >= 1100 and v % 100 == 0 and v < 10000 and v % 1000 and r.random() < 0.6:
        return words(v // 100) + " hundred"
    return words(v) + " dollars"


def email_words(addr: str) -> str:
    local, _, dom = addr.partition("@")
    return (local.replace(".", " dot ").replace("_", " underscore ") + " at " + dom.replace(".", " dot ")).strip()
