"""Per-run budget (calls and dollars), a circuit breaker, and retry-after cool-downs."""

from __future__ import annotations

import time
from collections.abc import Callable

from intakeflow.pipeline.fallback.config import FallbackConfig
from intakeflow.pipeline.fallback.stats import FallbackStats

#: characters per token used to estimate a prompt's size before sending it (conservative)
CHARS_PER_TOKEN = 3.0


class Guard:
    """Decides whether the next call may go out, and records how calls ended.

    Not thread-safe on its own: :class:`~intakeflow.pipeline.fallback.Fallback` holds a lock around it.
    """

    def __init__(self, cfg: FallbackConfig, stats: FallbackStats, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self.stats = stats
        self.clock = clock
        self.consecutive_failures = 0
        self.open_until = 0.0
        self.cooldown_until = 0.0

    def cost(self, input_tokens: float, output_tokens: float) -> float:
        return (input_tokens * self.cfg.usd_per_mtok_in + output_tokens * self.cfg.usd_per_mtok_out) / 1e6

    def admit(self, prompt_chars: int) -> str | None:
        """``None`` when a call may be made now, else why not (``max_calls``, ``breaker`` ...)."""
        s, cfg = self.stats, self.cfg
        if s.calls >= cfg.max_calls:
            s.budget_exhausted = True
            return "max_calls"
        worst = self.cost(prompt_chars / CHARS_PER_TOKEN, cfg.max_output_tokens)
        if s.usd + worst > cfg.max_usd:
            s.budget_exhausted = True
            return "max_usd"
        now = self.clock()
        if now < self.open_until:
            return "breaker"
        if now < self.cooldown_until:
            return "cooldown"
        s.calls += 1
        return None

    def success(self, input_tokens: int, output_tokens: int, latency_ms: float) -> None:
        s = self.stats
        s.successes += 1
        s.input_tokens += input_tokens
        s.output_tokens += output_tokens
        s.usd += self.cost(input_tokens, output_tokens)
        s.latency_ms.append(latency_ms)
        self.consecutive_failures = 0

    def failure(self, kind: str, latency_ms: float, retry_after_s: float | None = None) -> None:
        self.stats.failure(kind)
        self.stats.latency_ms.append(latency_ms)
        if retry_after_s is not None:
            self.cooldown_until = self.clock() + min(retry_after_s, self.cfg.max_cooldown_s)
        self._count_failure()

    def bad_answer(self) -> None:
        """A well-formed reply with an unusable answer: paid for, and counts toward the breaker."""
        self.stats.answers_rejected += 1
        self._count_failure()

    def _count_failure(self) -> None:
        self.consecutive_failures += 1
        if self.consecutive_failures >= self.cfg.breaker_failures:
            # half-open afterwards: one trial call; another failure re-opens at once
            self.open_until = self.clock() + self.cfg.breaker_cooldown_s
            self.consecutive_failures = self.cfg.breaker_failures - 1
            self.stats.breaker_trips += 1
