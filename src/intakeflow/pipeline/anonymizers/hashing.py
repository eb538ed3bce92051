"""``hash``: a keyed pseudonym ``[LABEL:hex]`` (HMAC-SHA256 truncated to ``hash_chars``).

Equal values (after normalisation: case, spacing, separators) give equal pseudonyms, so
records stay linkable without the value being recoverable. Unscoped by default (links a
value across patients); ``hash_scoped=True`` confines linkage to one scope.
"""

from __future__ import annotations

from intakeflow.pipeline.anonymizers.base import Operator, SpanContext
from intakeflow.pipeline.anonymizers.keyed import keyed_digest, normalise_value


class HashOperator(Operator):
    NAME = "hash"
    VERSION = "1.0.0"
    NEEDS_SECRET = True

    def apply(self, ctx: SpanContext) -> str:
        cfg = ctx.config
        scope = ctx.scope if cfg.hash_scoped else ""
        norm = normalise_value(ctx.label, ctx.value)
        digest = keyed_digest(cfg.require_secret(), "hash", scope, ctx.label, norm)
        return f"[{ctx.label}:{digest.hex()[: cfg.hash_chars]}]"
