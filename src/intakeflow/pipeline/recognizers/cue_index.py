"""One scan of a message for every cue phrase of :data:`IDENTIFIER_CUES`.

All phrases are compiled into one trie-shaped regex (a plain alternation of ~200
phrases is ~10x slower). Greedy optional branches make the longest phrase win at any
position ("patient id" beats "id", "claim number" beats "claim"); a phrase listed under
several labels yields one hit carrying all of them. Recognizers keep the hits that carry
their own label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from intakeflow.pipeline.recognizers.cues import IDENTIFIER_CUES

_SEP = re.compile(r"[\s_-]+")


@dataclass(frozen=True)
class CueHit:
    start: int
    end: int
    phrase: str
    labels: frozenset[str]


def normalise_phrase(s: str) -> str:
    """Key under which a phrase and its written variants meet ("Driver's-License" -> "drivers license")."""
    s = s.lower().replace("\u2019", "").replace("'", "").replace(".", "")
    return _SEP.sub(" ", s).strip().replace(" #", "#")


def _char_regex(ch: str) -> str:
    if ch == " ":
        return r"[\s_-]*"
    if ch == "'":
        return "['\u2019]?"
    return re.escape(ch)


def _trie_regex(phrases: list[str]) -> str:
    trie: dict[str, Any] = {}
    for p in phrases:
        node = trie
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [_char_regex(k) + emit(v) for k, v in sorted(node.items()) if k]
        if not alts:
            return ""
        optional = "" in node
        body = alts[0] if len(alts) == 1 and not optional else "(?:" + "|".join(alts) + ")"
        return body + "?" if optional else body

    return emit(trie)


def _labels_by_key() -> dict[str, frozenset[str]]:
    acc: dict[str, set[str]] = {}
    for label, phrases in IDENTIFIER_CUES.items():
        for p in phrases:
            acc.setdefault(normalise_phrase(p), set()).add(label)
    return {k: frozenset(v) for k, v in acc.items()}


LABELS_BY_KEY: dict[str, frozenset[str]] = _labels_by_key()
_PHRASES = sorted({p for ps in IDENTIFIER_CUES.values() for p in ps})
CUE_RE = re.compile(
    r"(?<![A-Za-z0-9])" + _trie_regex(_PHRASES) + r"(?:(?<![A-Za-z0-9])|(?![A-Za-z0-9]))",
    re.IGNORECASE,
)


@lru_cache(maxsize=256)
def find_cues(text: str) -> tuple[CueHit, ...]:
    """Every cue phrase occurrence in ``text`` (non-overlapping, longest at each position)."""
    hits: list[CueHit] = []
    for m in CUE_RE.finditer(text):
        key = normalise_phrase(m.group())
        labels = LABELS_BY_KEY.get(key)
        if labels:
            hits.append(CueHit(m.start(), m.end(), key, labels))
    return tuple(hits)


def cues_for(text: str, label: str) -> list[CueHit]:
    return [h for h in find_cues(text) if label in h.labels]


@lru_cache(maxsize=64)
def phrase_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """The regex of a deployment's own cue phrases (built like :data:`CUE_RE`)."""
    trie = _trie_regex(sorted({p.lower() for p in phrases if p.strip()}))
    return re.compile(r"(?<![A-Za-z0-9])" + trie + r"(?:(?<![A-Za-z0-9])|(?![A-Za-z0-9]))", re.IGNORECASE)


def find_phrases(text: str, phrases: tuple[str, ...], label: str) -> tuple[CueHit, ...]:
    """Occurrences of ``phrases`` in ``text`` as hits carrying ``label`` only."""
    if not phrases:
        return ()
    return tuple(
        CueHit(m.start(), m.end(), normalise_phrase(m.group()), frozenset({label})) for m in phrase_regex(phrases).finditer(text)
    )
