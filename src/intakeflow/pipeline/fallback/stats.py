"""Counters of one fallback run: numbers only, never message text or values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


@dataclass
class FallbackStats:
    messages: int = 0
    windows: int = 0
    calls: int = 0
    successes: int = 0
    failures: int = 0
    failure_kinds: dict[str, int] = field(default_factory=dict)
    skipped_budget: int = 0
    skipped_breaker: int = 0
    skipped_cooldown: int = 0
    answers_rejected: int = 0
    items_rejected: int = 0
    spans_added: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    latency_ms: list[float] = field(default_factory=list)
    budget_exhausted: bool = False
    breaker_trips: int = 0

    def failure(self, kind: str) -> None:
        self.failures += 1
        self.failure_kinds[kind] = self.failure_kinds.get(kind, 0) + 1

    def latency_summary(self) -> dict[str, float]:
        lat = self.latency_ms
        return {
            "count": float(len(lat)),
            "mean": sum(lat) / len(lat) if lat else 0.0,
            "p50": _percentile(lat, 0.5),
            "p95": _percentile(lat, 0.95),
            "max": max(lat) if lat else 0.0,
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in self.__dict__.items() if k != "latency_ms"}
        out["failure_kinds"] = dict(self.failure_kinds)
        out["usd"] = round(self.usd, 6)
        out["latency_ms"] = self.latency_summary()
        return out
