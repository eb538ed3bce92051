"""Boundary repair: make spans follow the span rules of the label spec (section 2).

* surrounding whitespace goes;
* leading cue words, titles, articles and prepositions go ("MRN 8472301" -> "8472301",
  "Dr. Okafor" -> "Okafor", "on the 22nd" -> "22nd"): titles only for name types, cue
  words only for identifier types;
* trailing sentence punctuation goes (``. , ; : ! ?``), also the period after an initial
  ("Kenji W." -> "Kenji W"); a closing bracket stays only when its opener is inside;
* identifier spans that stop inside a token grow to the token's edges, and an identifier
  written in groups grows over the following groups ("8803 4471" + " 902", spaced-out
  "A M B 7 7" + " 2 0 1");
* empty spans are removed and overlaps resolved (higher score, then longer, wins).
"""

from __future__ import annotations

import re
from dataclasses import replace

from intakeflow.pipeline.merge import STRUCTURED_INSURANCE, STRUCTURED_PHI, non_overlapping
from intakeflow.pipeline.recognizers.cues import IDENTIFIER_CUES
from intakeflow.spans import Span

NAME_TYPES: frozenset[str] = frozenset({"NAME", "SUBSCRIBER_NAME"})
#: Identifier types whose spans may grow over split pieces of the same value.
GROUPED_ID_TYPES: frozenset[str] = frozenset(
    {
        "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "DEVICE", "BIOMETRIC", "VEHICLE", "SSN",
        "MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER", "CLAIM_ID", "AUTH_NUMBER",
    }
)  # fmt: skip
STRUCTURED_TYPES: frozenset[str] = STRUCTURED_PHI | STRUCTURED_INSURANCE

_TITLE_RE = re.compile(
    r"(?:(?:dr|mr|mrs|ms|mx|miss|prof|rev|fr|sr|sister|brother|doctor|nurse|professor|pastor|chief|imam|rabbi|"
    # military and police ranks are titles too ("SSgt Ramos", "Capt. Lee")
    r"sgt|ssgt|msgt|sfc|cpl|pvt|pfc|spc|lt|ltjg|capt|cpt|maj|col|ltc|gen|adm|cdr|lcdr|ens|cmdr|officer|deputy|"
    r"sergeant|corporal|private|lieutenant|captain|major|colonel|general|admiral|commander)\b\.?(?:\s+|$))",
    re.IGNORECASE,
)
# "a"/"an" before a spaced-out value is its first character ("A M B 7 7"), not an article.
_ARTICLE_SRC = r"(?:the|on|at|in|of|by|from|to|for|per)\s+|an?\s+(?![A-Za-z0-9](?:\s|$))"
_ARTICLE_RE = re.compile(_ARTICLE_SRC, re.IGNORECASE)
# Proper-noun types lose only lower-case articles: "An Nguyen" and "To Lam" are names.
_ARTICLE_LOWER_RE = re.compile(_ARTICLE_SRC)
PROPER_NOUN_TYPES: frozenset[str] = frozenset({"NAME", "SUBSCRIBER_NAME", "LOC", "CARRIER"})
_CUE_PHRASES = sorted({p for ps in IDENTIFIER_CUES.values() for p in ps}, key=len, reverse=True)
_CUE_RE = re.compile(
    r"(?:"
    + "|".join(re.escape(p).replace(r"\ ", r"[\s_-]*").replace("'", "['\u2019]?") for p in _CUE_PHRASES)
    + r"|number|num|nbr|no\.?|ids?|is|was|ending\s+in)(?:\s*[:#=.-]+\s*|\s+)"
    r"|[:#=]+\s*",
    re.IGNORECASE,
)
_LEAD_PUNCT = "([{\"'\u201c\u2018,;:.#-"
_TRAIL_PUNCT = ".,;:!?\"'\u201d\u2019-([{"
_PAIRS = {")": "(", "]": "[", "}": "{"}
_NEXT_GROUP_RE = re.compile(r"\x20(\d{2,6})(?![A-Za-z0-9])")
_NEXT_SPACED_RE = re.compile(r"\x20([A-Za-z0-9]|\d{2})(?![A-Za-z0-9])")
_SPACED_TAIL_RE = re.compile(r"(?:^|\x20)[A-Za-z0-9]\x20[A-Za-z0-9]{1,2}$")
_GROUPED_RE = re.compile(r"(?:[A-Za-z]{0,4}\x20?)?\d+(?:\x20\d+)+$")


def _is_join(text: str, i: int) -> bool:
    """``text[i]`` is an internal separator between two alphanumerics ("K553-7720")."""
    return 0 < i < len(text) - 1 and text[i] in "-./_" and text[i - 1].isalnum() and text[i + 1].isalnum()


def _strip_lead(text: str, s: int, e: int, label: str) -> int:
    while s < e:
        piece = text[s:e]
        if piece[0].isspace():
            s += 1
            continue
        if piece[0] in _LEAD_PUNCT:
            if piece[0] in "([{" and _closer(piece[0]) in piece:
                break
            s += 1
            continue
        m = None
        if label in NAME_TYPES:
            m = _TITLE_RE.match(piece)
        if m is None and label in STRUCTURED_TYPES:
            m = _CUE_RE.match(piece)
        if m is None:
            m = (_ARTICLE_LOWER_RE if label in PROPER_NOUN_TYPES else _ARTICLE_RE).match(piece)
        if m is None or m.end() == 0:
            break
        s += m.end()
    return s


def _closer(opener: str) -> str:
    return {"(": ")", "[": "]", "{": "}"}[opener]


def _strip_trail(text: str, s: int, e: int) -> int:
    while e > s:
        ch = text[e - 1]
        if ch.isspace() or ch in _TRAIL_PUNCT:
            e -= 1
        elif ch in _PAIRS and text[s:e].count(_PAIRS[ch]) < text[s:e].count(ch):
            e -= 1
        else:
            break
    return e


def _grow_token(text: str, s: int, e: int) -> tuple[int, int]:
    while s > 0 and (text[s - 1].isalnum() or _is_join(text, s - 1)):
        s -= 1
    while e < len(text) and (text[e].isalnum() or _is_join(text, e)):
        e += 1
    return s, e


def _grow_groups(text: str, s: int, e: int) -> int:
    piece = text[s:e]
    if _SPACED_TAIL_RE.search(piece):
        while (m := _NEXT_SPACED_RE.match(text, e)) is not None:
            e = m.end()
        return e
    if _GROUPED_RE.search(piece):
        for _ in range(3):
            m = _NEXT_GROUP_RE.match(text, e)
            if m is None:
                break
            e = m.end()
    return e


def repair_one(text: str, span: Span) -> Span | None:
    """The repaired span, or ``None`` when nothing of it is left."""
    s, e = max(0, span.start), min(len(text), span.end)
    if s >= e:
        return None
    s = _strip_lead(text, s, e, span.label)
    e = _strip_trail(text, s, e)
    if s >= e:
        return None
    if span.label in STRUCTURED_TYPES and span.label not in ("EMAIL", "URL", "PHONE", "FAX"):
        s, e = _grow_token(text, s, e)
    if span.label in GROUPED_ID_TYPES:
        e = _grow_groups(text, s, e)
    e = _strip_trail(text, s, e)
    if s >= e:
        return None
    if (s, e) == (span.start, span.end):
        return span
    return replace(span, start=s, end=e)


def repair(text: str, spans: list[Span]) -> list[Span]:
    """Repaired, non-empty, non-overlapping spans sorted by position."""
    fixed = [r for r in (repair_one(text, sp) for sp in spans) if r is not None]
    return non_overlapping(fixed)
