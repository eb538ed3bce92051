"""The span value type shared by the model, the recognizers, the merge step and the sinks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character range ``text[start:end]`` (end exclusive).

    ``source`` says which stage produced it (``model``, ``validator``, ``fallback``);
    ``score`` is that stage's confidence in [0, 1]. Neither takes part in equality of
    position: use :meth:`key` to compare spans the way the scorer does.
    """

    start: int
    end: int
    label: str
    source: str = field(default="model", compare=False)
    score: float = field(default=1.0, compare=False)

    def key(self) -> tuple[int, int, str]:
        return (self.start, self.end, self.label)

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "label": self.label}

    @classmethod
    def from_json(cls, obj: dict[str, Any], source: str = "gold") -> Span:
        return cls(int(obj["start"]), int(obj["end"]), str(obj["label"]), source=source)


def check_spans(text: str, spans: list[Span], allowed: tuple[str, ...]) -> list[str]:
    """Return the span-rule violations of spec §4 (empty list when all hold)."""
    problems: list[str] = []
    ordered = sorted(spans)
    for s in ordered:
        if not (0 <= s.start < s.end <= len(text)):
            problems.append(f"span {s.key()} out of range")
            continue
        if s.label not in allowed:
            problems.append(f"span {s.key()} has unknown label")
        piece = text[s.start : s.end]
        if piece != piece.strip():
            problems.append(f"span {s.key()} has leading or trailing whitespace")
    for a, b in itertools.pairwise(ordered):
        if a.overlaps(b):
            problems.append(f"spans {a.key()} and {b.key()} overlap")
    return problems
