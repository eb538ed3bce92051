"""Opt-in frontier-model fallback for identifier cues the local stages left unresolved.

Off by default. When enabled it sends only small windows of text around unresolved cues
(already-found values masked), validates the JSON answer strictly against the window,
and works within a per-run budget of calls and dollars behind a circuit breaker.
"""

from __future__ import annotations

from intakeflow.fallback.config import FallbackConfig, FallbackError
from intakeflow.fallback.resolver import Fallback
from intakeflow.fallback.stats import FallbackStats

__all__ = ["Fallback", "FallbackConfig", "FallbackError", "FallbackStats"]
