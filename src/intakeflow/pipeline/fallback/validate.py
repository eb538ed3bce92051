"""Strict checks on the model's answer: anything not provably from the excerpt is dropped.

The answer must be a JSON array (or ``{"spans": [...]}``) of ``{"text", "label"}`` objects,
optionally fenced in a Markdown code block, below size limits. Each item needs a spec label
from the allowed set and a ``text`` found as a whole token run inside the excerpt, outside
``[LABEL]`` masks and outside the cue phrase; it is then mapped back to message offsets.
A value the model invented, rephrased, or took from instructions cannot pass; offsets the
model may add are ignored (positions come only from locating the text in the excerpt).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from intakeflow.pipeline.fallback.config import FallbackConfig
from intakeflow.pipeline.fallback.window import Window

_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.S)
_TRAILING = ".,;:!?"


class AnswerRejected(Exception):
    """The whole answer is unusable; ``why`` is a short code, never answer text."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    label: str


def parse_items(raw: object, cfg: FallbackConfig) -> tuple[list[tuple[str, str]], int]:
    """``(text, label)`` pairs that pass the item checks, and the count of items dropped."""
    if not isinstance(raw, str):
        raise AnswerRejected("not_text")
    if len(raw) > cfg.max_answer_chars:
        raise AnswerRejected("too_long")
    body = raw.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise AnswerRejected("not_json") from None
    if isinstance(data, dict) and isinstance(data.get("spans"), list):
        data = data["spans"]
    if not isinstance(data, list):
        raise AnswerRejected("wrong_type")
    if len(data) > cfg.max_items:
        raise AnswerRejected("too_many_items")
    allowed = set(cfg.allowed_labels)
    items: list[tuple[str, str]] = []
    dropped = 0
    for item in data:
        text = item.get("text") if isinstance(item, dict) else None
        label = item.get("label") if isinstance(item, dict) else None
        if not isinstance(text, str) or not isinstance(label, str) or label not in allowed:
            dropped += 1
            continue
        text = text.strip().rstrip(_TRAILING).strip()
        if not text or len(text) > cfg.max_span_chars or "\n" in text or not any(ch.isalnum() for ch in text):
            dropped += 1
            continue
        items.append((text, label))
    return items, dropped


_JOINERS = "-/._"


def _continues(excerpt: str, i: int, step: int) -> bool:
    """Whether the token run goes on at ``excerpt[i]`` (alnum, or a joiner before alnum)."""
    if not 0 <= i < len(excerpt):
        return False
    ch = excerpt[i]
    if ch.isalnum():
        return True
    nxt = i + step
    return ch in _JOINERS and 0 <= nxt < len(excerpt) and excerpt[nxt].isalnum()


def _occurrences(excerpt: str, piece: str) -> list[int]:
    """Start offsets where ``piece`` is a whole token run: "44" is not found in "KT-44"."""
    out: list[int] = []
    pos = 0
    while True:
        i = excerpt.find(piece, pos)
        if i < 0:
            return out
        left_open = piece[0].isalnum() and _continues(excerpt, i - 1, -1)
        right_open = piece[-1].isalnum() and _continues(excerpt, i + len(piece), 1)
        if not (left_open or right_open):
            out.append(i)
        pos = i + 1


def locate(items: list[tuple[str, str]], window: Window) -> tuple[list[Found], int]:
    """Message offsets for every occurrence of each item; items found nowhere are dropped."""
    cues = [(t.start, t.end) for t in window.triggers if t.kind == "cue"]
    found: list[Found] = []
    dropped = 0
    for text, label in items:
        hits = []
        for i in _occurrences(window.excerpt, text):
            span = window.to_original(i, i + len(text))
            if span is None or any(span[0] < ce and cs < span[1] for cs, ce in cues):
                continue
            hits.append(Found(span[0], span[1], label))
        if hits:
            found.extend(hits)
        else:
            dropped += 1
    return found, dropped
