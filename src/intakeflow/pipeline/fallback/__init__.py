"""Opt-in frontier-model fallback for identifier cues the local stages left unresolved.

Off by default. When enabled it sends only small windows of text around unresolved cues
(already-found values masked), validates the JSON answer strictly against the window,
and works within a per-run budget of calls and dollars behind a circuit breaker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from intakeflow.pipeline.fallback.config import FallbackConfig, FallbackError
from intakeflow.pipeline.fallback.stats import FallbackStats

if TYPE_CHECKING:
    from intakeflow.pipeline.fallback.resolver import Fallback

__all__ = ["Fallback", "FallbackConfig", "FallbackError", "FallbackStats"]


def __getattr__(name: str) -> Any:
    # the resolver pulls in the Anthropic SDK: loaded only by deployments that enable the fallback
    if name == "Fallback":
        from intakeflow.pipeline.fallback.resolver import Fallback

        return Fallback
    raise AttributeError(name)
