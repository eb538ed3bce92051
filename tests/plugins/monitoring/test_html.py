from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from page_reader import PageReader

from intakeflow.plugins.monitoring import labels
from intakeflow.plugins.monitoring.html import _bucket_name, age
from intakeflow.plugins.monitoring.queries import Dashboard, Filters


@pytest.mark.parametrize(("hours", "name"), [
    (0.5, "minute"), (1, "5 minutes"), (8, "15 minutes"), (24, "hour"), (24 * 7, "6 hours"), (24 * 30, "day"),
    (24 * 400, "7 days"),
])
def test_timeline_bucket_names_read_as_english(hours: float, name: str) -> None:
    end = datetime(2026, 1, 1, tzinfo=UTC)
    assert _bucket_name(Dashboard(Filters(end - timedelta(hours=hours), end))) == name


@pytest.mark.parametrize(("seconds", "said"), [(None, "–"), (42, "42 s"), (600, "10 min"), (3 * 3600 + 300, "3 h 5 min"),
                                               (2 * 86400 + 4 * 3600, "2 d 4 h")])
def test_ages_read_as_a_person_says_them(seconds: float | None, said: str) -> None:
    assert age(seconds) == said


def test_run_page_shows_each_quarantine_code_with_its_title() -> None:
    from intakeflow.errors import E
    from intakeflow.plugins.monitoring.html import run_page
    from intakeflow.plugins.monitoring.queries import RunDetail

    rows = [{"id": 1, "source": "hl7v2", "source_id": "file:a.hl7", "message_id": None, "stage": None,
             "reason_code": "E022", "reason": E.E022_HL7_NO_TEXT.format(), "attempts": 1, "last_seen": None},
            {"id": 2, "source": "hl7v2", "source_id": "file:b.hl7", "message_id": 7, "stage": "process",
             "reason_code": "E999", "reason": "E999: from a later version", "attempts": 1, "last_seen": None}]
    page = run_page(RunDetail("dag", "run", quarantine=rows, quarantine_total=2), schema="intakeflow", limit=500)
    cells = PageReader(page).tables["quarantine"]
    assert "<th>code</th><th>title</th><th>reason</th>" in page
    assert [(r["reason_code"], r["reason_title"]) for r in cells.values()] == [
        ("E022", E.E022_HL7_NO_TEXT.title), ("E999", "")]  # a code this version does not know: no title, still listed


def test_run_figures_have_labels_and_units_not_metric_keys() -> None:
    rows = labels.figure_rows("process", {"fallback_microusd": 2500, "processed": 1234, "brand_new_metric": 3,
                                          "intents": {"x": 1}})
    assert rows == [("Messages processed (result saved)", "1,234", "processed"),
                    ("Fallback cost (USD)", "0.0025", "fallback_microusd"),
                    ("Brand new metric", "3", "brand_new_metric")]
    assert labels.breakdowns({"intents": {"b": 1, "a": 2}, "processed": 3}) == [("Intents", [("a", 2.0), ("b", 1.0)])]


def test_a_day_with_one_busy_hour_draws_that_hour_in_its_place() -> None:
    """Issue 16: all messages in one hourly bucket drew two page-wide blocks. The chart now
    has every hour of the period, the busy one at its own time and empty hours as gaps."""
    import re

    from intakeflow.plugins.monitoring.html import timeline_chart

    end = datetime(2026, 1, 2, tzinfo=UTC)
    board = Dashboard(Filters(end - timedelta(hours=24), end))
    busy = end - timedelta(hours=15)  # 09:00
    board.timeline = [{"t": busy, "n_in": 12, "n_out": 10}]
    svg = timeline_chart(board)
    bars = [(float(x), float(w), float(h)) for x, w, h in
            re.findall(r'<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="([\d.]+)"', svg)]
    assert len(bars) == 24 * 2
    drawn = [(i, b) for i, b in enumerate(bars) if b[2] > 0]
    assert [i // 2 for i, _ in drawn] == [9, 9]  # the 10th hour of the period
    assert all(w <= 24 for _, w, _ in bars)  # two series in at most 48 px per hour
    times = re.findall(r'<text class="time"[^>]*>([^<]*)<', svg)
    assert len(times) >= 4 and (times[0], times[-1]) == ("01-01 00:00", "01-02 00:00")  # the whole day on the axis


def test_each_quarantine_row_links_the_task_that_quarantined_it() -> None:
    from intakeflow.plugins.monitoring.airflow_view import RunState, TaskRun
    from intakeflow.plugins.monitoring.html import AirflowInfo, run_page
    from intakeflow.plugins.monitoring.queries import RunDetail

    def row(qid: int, message_id: int | None, stage: str | None) -> dict[str, object]:
        return {"id": qid, "source": "hl7v2", "source_id": f"s{qid}", "message_id": message_id, "stage": stage,
                "reason_code": "E001", "reason": "E001: x", "attempts": 1, "last_seen": None}

    tasks = [TaskRun("stage_shard", 0, "success", 1, "StageHl7ArchiveOperator"),
             TaskRun("stage_shard", 1, "success", 1, "StageHl7ArchiveOperator"),
             TaskRun("process", -1, "success", 1, "ProcessMessagesOperator"),
             TaskRun("write_back", -1, "success", 1, "FhirWriteBackOperator")]
    detail = RunDetail("d", "r", quarantine=[row(1, None, None), row(2, 7, "pipeline"), row(3, 8, "writeback"),
                                             row(4, 9, None)], quarantine_total=4)
    page = run_page(detail, schema="s", limit=500, airflow=AirflowInfo(run=RunState("d", "r", "success", tasks=tasks)))
    cells = PageReader(page).tables["quarantine"]
    assert {k: v["stage"] for k, v in cells.items()} == {"1": "staging", "2": "pipeline", "3": "writeback",
                                                         "4": "pipeline"}  # 4: attempts used up (E025)
    assert '<a href="../dags/d/runs/r/tasks/stage_shard/mapped" target="_top">staging</a>' in page
    assert page.count('<a href="../dags/d/runs/r/tasks/process" target="_top">pipeline</a>') == 2
    assert '<a href="../dags/d/runs/r/tasks/write_back" target="_top">writeback</a>' in page


def test_a_time_is_written_in_utc_for_the_browser_to_show_in_airflows_timezone() -> None:
    from intakeflow.plugins.monitoring.html import _fmt
    from intakeflow.plugins.monitoring.theme import HEAD

    shown = _fmt(datetime(2027, 1, 20, 8, 0, 5, tzinfo=UTC))
    assert shown == '<time datetime="2027-01-20T08:00:05+00:00">2027-01-20 08:00:05 UTC</time>'
    assert PageReader(f"<p>{shown}</p>").visible() == "2027-01-20 08:00:05 UTC"  # without script: UTC
    assert _fmt(datetime(2027, 1, 20, 8, 0, 5)) == "2027-01-20 08:00:05"  # no zone, no instant: as it is
    assert 'localStorage.getItem("timezone")' in HEAD and "time[datetime]" in HEAD
