"""``dateshift``: move every date of one scope by the same keyed number of days.

The offset is ``HMAC(secret, scope)`` mapped onto ``[-N, -1] U [1, N]`` days
(``N = date_shift_days``; zero is excluded so no date stays as written). One scope (a
patient) always gets the same offset, so intervals between its dates are preserved and
repeated runs agree. The date is re-rendered in its original form; a date that cannot be
parsed as a full day (``in June``, ``the 22nd``) and any non-DATE span fall back to ``tag``.
"""

from __future__ import annotations

import datetime as dt

from intakeflow.pipeline.anonymizers.base import Operator, SpanContext
from intakeflow.pipeline.anonymizers.dates import parse_date
from intakeflow.pipeline.anonymizers.keyed import KeyedRng
from intakeflow.pipeline.anonymizers.tag import tag_for


def scope_offset(secret: bytes, scope: str, max_days: int) -> int:
    k = KeyedRng(secret, "dateshift", scope).below(2 * max_days)
    return k - max_days if k < max_days else k - max_days + 1


def shift_date(value: str, secret: bytes, scope: str, max_days: int) -> str | None:
    """``value`` shifted and re-rendered, or ``None`` when it is not a parseable full date."""
    form = parse_date(value)
    if form is None:
        return None
    try:
        moved = form.date + dt.timedelta(days=scope_offset(secret, scope, max_days))
    except OverflowError:
        return None
    return form.render(moved)


class DateShiftOperator(Operator):
    NAME = "dateshift"
    VERSION = "1.0.0"
    NEEDS_SECRET = True

    def apply(self, ctx: SpanContext) -> str:
        cfg = ctx.config
        if ctx.label != "DATE":  # only dates have something to shift
            return tag_for(ctx.label)
        shifted = shift_date(ctx.value, cfg.require_secret(), ctx.scope, cfg.date_shift_days)
        return tag_for(ctx.label) if shifted is None else shifted
