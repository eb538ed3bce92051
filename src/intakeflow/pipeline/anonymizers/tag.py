"""``tag``: replace a span by its label in brackets (``[NAME]``). The default operator."""

from __future__ import annotations

from intakeflow.pipeline.anonymizers.base import Operator, SpanContext


def tag_for(label: str) -> str:
    return f"[{label}]"


class TagOperator(Operator):
    NAME = "tag"
    VERSION = "1.0.0"

    def apply(self, ctx: SpanContext) -> str:
        return tag_for(ctx.label)
