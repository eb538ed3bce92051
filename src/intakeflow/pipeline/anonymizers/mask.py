"""``mask``: overwrite every letter and digit with ``mask_char``, same length.

Separators (spaces, ``-``, ``/``, ``(``, ``)``, ``.``, ``@``) are kept so a reader still
sees the value's shape (``(617) 555-1234`` -> ``(***) ***-****``); the length is kept by
design, so mask is for display, not for hiding how long a value is.
"""

from __future__ import annotations

from intakeflow.pipeline.anonymizers.base import Operator, SpanContext


class MaskOperator(Operator):
    NAME = "mask"
    VERSION = "1.0.0"

    def apply(self, ctx: SpanContext) -> str:
        char = ctx.config.mask_char
        return "".join(char if ch.isalnum() else ch for ch in ctx.value)
