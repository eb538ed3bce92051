"""The fallback stage: ask a frontier model about identifier cues the local stages left open."""

from __future__ import annotations

import logging
import os
import threading
import time

import anthropic

from intakeflow.errors import E
from intakeflow.pipeline.fallback.caller import CallFailed, call
from intakeflow.pipeline.fallback.config import FallbackConfig, FallbackError
from intakeflow.pipeline.fallback.guard import Guard
from intakeflow.pipeline.fallback.prompt import system_prompt, user_prompt
from intakeflow.pipeline.fallback.stats import FallbackStats
from intakeflow.pipeline.fallback.triggers import find_triggers
from intakeflow.pipeline.fallback.validate import AnswerRejected, Found, locate, parse_items
from intakeflow.pipeline.fallback.window import Window, build_windows
from intakeflow.spans import Span
from intakeflow.spec import INSURANCE_PHI_TYPE, INSURANCE_TYPES, PHI_TYPES

log = logging.getLogger(__name__)



def _make_client(cfg: FallbackConfig) -> anthropic.Anthropic:
    if not (cfg.api_key or os.environ.get("ANTHROPIC_API_KEY")):
        raise FallbackError(E.E050_CONFIG, why="fallback enabled without an API key")
    try:
        return anthropic.Anthropic(api_key=cfg.api_key, base_url=cfg.base_url, timeout=cfg.timeout_s, max_retries=cfg.max_retries)
    except anthropic.AnthropicError as exc:
        raise FallbackError(E.E050_CONFIG, why=f"anthropic client not created ({type(exc).__name__})") from None


def _add(out: list[Span], taken: list[Span], span: Span) -> None:
    if span.key() in {s.key() for s in out} or any(span.overlaps(o) for o in taken):
        return
    out.append(span)
    taken.append(span)


class Fallback:
    """Opt-in frontier fallback. ``resolve`` returns only spans that are new.

    With ``config.enabled`` false (the default) ``resolve`` returns ``([], [])`` and no
    client is created. Returned spans never overlap a confident existing span of their
    answer nor each other; they may overlap a low-confidence span (score below
    ``config.low_confidence``), as a competing reading for the merge step to weigh.
    ``stats`` holds counts, tokens, cost and latency of this run, never text.
    """

    def __init__(self, config: FallbackConfig | None = None, client: anthropic.Anthropic | None = None) -> None:
        self.config = config or FallbackConfig()
        self.stats = FallbackStats()
        self._lock = threading.Lock()
        self._guard = Guard(self.config, self.stats)
        self._client: anthropic.Anthropic | None = client
        self._budget_logged = False
        if self.config.enabled:
            if self.config.quiet_sdk_logs:
                # the SDK logs request bodies (message text) at DEBUG
                logging.getLogger("anthropic").setLevel(logging.WARNING)
            if self._client is None:
                self._client = _make_client(self.config)
        self._system = system_prompt(tuple(self.config.allowed_labels))

    def resolve(self, text: str, phi: list[Span], insurance: list[Span]) -> tuple[list[Span], list[Span]]:
        """New PHI and insurance spans (``source="fallback"``) for ``text``; never raises per message."""
        cfg = self.config
        if not cfg.enabled or self._client is None or not isinstance(text, str) or not text:
            return [], []
        with self._lock:
            self.stats.messages += 1
        known = [*phi, *insurance]
        triggers = find_triggers(text, known, cfg.cue_gap_chars, cfg.low_confidence, cfg.require_value_hint)
        if not triggers:
            return [], []
        confident = [s for s in known if s.score >= cfg.low_confidence]
        masked = confident if cfg.mask_known_spans else []
        windows = build_windows(text, triggers, masked, cfg.window_chars, cfg.max_windows_per_message)
        found: list[Found] = []
        for window in windows:
            found += self._ask(window)
        return self._to_spans(found, phi, insurance)

    def _ask(self, window: Window) -> list[Found]:
        user = user_prompt(window)
        with self._lock:
            self.stats.windows += 1
            refused = self._guard.admit(len(self._system) + len(user))
            if refused is not None:
                self._note_refusal(refused)
                return []
        assert self._client is not None
        t0 = time.perf_counter()
        try:
            reply = call(self._client, self.config.model, self._system, user, self.config.max_output_tokens,
                         self.config.timeout_s)  # fmt: skip
        except CallFailed as exc:
            with self._lock:
                self._guard.failure(exc.kind, (time.perf_counter() - t0) * 1000, exc.retry_after_s)
            log.warning(E.E042_FALLBACK_CALL_FAILED.format(kind=exc.kind, status=exc.status))
            return []
        latency = (time.perf_counter() - t0) * 1000
        try:
            items, dropped = parse_items(reply.text, self.config)
        except AnswerRejected as exc:
            with self._lock:
                self._guard.success(reply.input_tokens, reply.output_tokens, latency)
                self._guard.bad_answer()
            log.info(E.E041_FALLBACK_BAD_OUTPUT.format(why=exc.why))
            return []
        found, missing = locate(items, window)
        with self._lock:
            self._guard.success(reply.input_tokens, reply.output_tokens, latency)
            self.stats.items_rejected += dropped + missing
        return found

    def _note_refusal(self, why: str) -> None:
        if why in ("max_calls", "max_usd"):
            self.stats.skipped_budget += 1
            if not self._budget_logged:
                self._budget_logged = True
                log.warning(E.E040_FALLBACK_BUDGET.format(which=why))
        elif why == "breaker":
            self.stats.skipped_breaker += 1
        else:
            self.stats.skipped_cooldown += 1

    def _to_spans(self, found: list[Found], phi: list[Span], insurance: list[Span]) -> tuple[list[Span], list[Span]]:
        low = self.config.low_confidence
        taken_phi = [s for s in phi if s.score >= low]
        taken_ins = [s for s in insurance if s.score >= low]
        new_phi: list[Span] = []
        new_ins: list[Span] = []
        score = self.config.span_score
        for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
            if f.label in INSURANCE_TYPES:
                _add(new_ins, taken_ins, Span(f.start, f.end, f.label, "fallback", score))
            phi_label = f.label if f.label in PHI_TYPES else INSURANCE_PHI_TYPE.get(f.label)
            if phi_label:
                _add(new_phi, taken_phi, Span(f.start, f.end, phi_label, "fallback", score))
        with self._lock:
            self.stats.spans_added += len(new_phi) + len(new_ins)
        return sorted(new_phi), sorted(new_ins)
