from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from intakeflow.plugins.monitoring.html import _bucket_name
from intakeflow.plugins.monitoring.queries import Dashboard, Filters


@pytest.mark.parametrize(("hours", "name"), [
    (0.5, "minute"), (1, "5 minutes"), (8, "15 minutes"), (24, "hour"), (24 * 7, "6 hours"), (24 * 30, "day"),
    (24 * 400, "7 days"),
])
def test_timeline_bucket_names_read_as_english(hours: float, name: str) -> None:
    end = datetime(2026, 1, 1, tzinfo=UTC)
    assert _bucket_name(Dashboard(Filters(end - timedelta(hours=hours), end))) == name


def test_run_page_shows_each_quarantine_code_with_its_title() -> None:
    from intakeflow.errors import E
    from intakeflow.plugins.monitoring.html import run_page
    from intakeflow.plugins.monitoring.queries import RunDetail

    rows = [{"id": 1, "source": "hl7v2", "source_id": "file:a.hl7", "message_id": None, "stage": None,
             "reason_code": "E022", "reason": E.E022_HL7_NO_TEXT.format(), "attempts": 1, "last_seen": None},
            {"id": 2, "source": "hl7v2", "source_id": "file:b.hl7", "message_id": 7, "stage": "process",
             "reason_code": "E999", "reason": "E999: from a later version", "attempts": 1, "last_seen": None}]
    page = run_page(RunDetail("dag", "run", quarantine=rows, quarantine_total=2), schema="intakeflow", limit=500)
    assert "<th>code</th><th>title</th><th>reason</th>" in page
    assert f"<td>E022</td><td>{E.E022_HL7_NO_TEXT.title}</td>" in page
    assert "<td>E999</td><td></td>" in page  # a code this version does not know: no title, still listed
