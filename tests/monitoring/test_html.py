from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intakeflow.monitoring.html import _bucket_name
from intakeflow.monitoring.queries import Dashboard, Filters


@pytest.mark.parametrize(("hours", "name"), [
    (0.5, "minute"), (1, "5 minutes"), (8, "15 minutes"), (24, "hour"), (24 * 7, "6 hours"), (24 * 30, "day"),
    (24 * 400, "7 days"),
])
def test_timeline_bucket_names_read_as_english(hours: float, name: str) -> None:
    end = datetime(2026, 1, 1, tzinfo=UTC)
    assert _bucket_name(Dashboard(Filters(end - timedelta(hours=hours), end))) == name
