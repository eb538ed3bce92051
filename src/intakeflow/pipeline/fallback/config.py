"""Settings of the opt-in frontier fallback. Off unless ``enabled=True``."""

from __future__ import annotations

from dataclasses import dataclass, field

from intakeflow.errors import E, FallbackError, IntakeflowError
from intakeflow.spec import INSURANCE_TYPES, PHI_TYPES


@dataclass
class FallbackConfig:
    """Frontier-model fallback settings.

    Budget: at most ``max_calls`` requests and ``max_usd`` estimated spend per
    :class:`~intakeflow.pipeline.fallback.Fallback` instance (one run); cost is estimated from the
    usage tokens at ``usd_per_mtok_in``/``usd_per_mtok_out`` per million tokens, and a call
    is not made when its worst case (prompt estimate plus ``max_output_tokens``) would
    overshoot ``max_usd``. ``max_retries`` is the SDK's own retry count (429/5xx/timeouts,
    honouring ``retry-after``); after ``breaker_failures`` consecutive failures no call is
    made for ``breaker_cooldown_s``. Only ``window_chars`` characters each side of a cue are
    sent, with already-found confident spans replaced by ``[LABEL]`` when ``mask_known_spans``.
    Sending PHI to a third party needs a business associate agreement: enabling is a
    deliberate decision of the deployment.
    """

    enabled: bool = False
    model: str = "claude-haiku-4-5"
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    max_calls: int = 100
    max_usd: float = 1.0
    usd_per_mtok_in: float = 1.0
    usd_per_mtok_out: float = 5.0
    timeout_s: float = 20.0
    max_retries: int = 2
    max_cooldown_s: float = 60.0
    window_chars: int = 80
    cue_gap_chars: int = 40
    low_confidence: float = 0.5
    max_windows_per_message: int = 3
    max_output_tokens: int = 400
    max_answer_chars: int = 20_000
    max_items: int = 40
    max_span_chars: int = 64
    span_score: float = 0.6
    breaker_failures: int = 3
    breaker_cooldown_s: float = 60.0
    mask_known_spans: bool = True
    require_value_hint: bool = True
    quiet_sdk_logs: bool = True
    allowed_labels: tuple[str, ...] = PHI_TYPES + INSURANCE_TYPES

    def __post_init__(self) -> None:
        checks = {
            "max_calls": self.max_calls >= 0,
            "max_usd": self.max_usd >= 0,
            "usd_per_mtok_in": self.usd_per_mtok_in >= 0,
            "usd_per_mtok_out": self.usd_per_mtok_out >= 0,
            "timeout_s": self.timeout_s > 0,
            "max_retries": 0 <= self.max_retries <= 10,
            "window_chars": 10 <= self.window_chars <= 2000,
            "cue_gap_chars": 0 <= self.cue_gap_chars <= self.window_chars,
            "low_confidence": 0.0 <= self.low_confidence <= 1.0,
            "max_windows_per_message": self.max_windows_per_message >= 1,
            "max_output_tokens": 16 <= self.max_output_tokens <= 8192,
            "max_answer_chars": self.max_answer_chars >= 100,
            "max_items": self.max_items >= 1,
            "max_span_chars": self.max_span_chars >= 1,
            "span_score": 0.0 <= self.span_score <= 1.0,
            "breaker_failures": self.breaker_failures >= 1,
            "breaker_cooldown_s": self.breaker_cooldown_s >= 0,
            "allowed_labels": set(self.allowed_labels) <= set(PHI_TYPES) | set(INSURANCE_TYPES),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise FallbackError(E.E050_CONFIG, why="fallback setting(s) out of range: " + ", ".join(bad))

    def check_processes(self, processes: int) -> None:
        """E050 when the fallback is on for a run of several processes: its call and dollar
        budget is per instance, so each process would spend a whole budget of its own."""
        if self.enabled and processes > 1:
            raise IntakeflowError(E.E050_CONFIG, why="the fallback's budget is per process; run it with one process")
