from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from intakeflow.plugins.monitoring.charts import MAX_GROUP_WIDTH, columns, hbar, nice_ceiling

WIDTH = 940


def _widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]


def _bars(svg: str) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of every column."""
    found = re.findall(r'<rect class="bar" x="([\d.-]+)" y="([\d.-]+)" width="([\d.-]+)" height="([\d.-]+)"', svg)
    return [tuple(float(v) for v in bar) for bar in found]  # type: ignore[misc]


def _time_labels(svg: str) -> list[tuple[float, str]]:
    return [(float(x), text) for x, text in re.findall(r'<text class="time" x="([\d.]+)"[^>]*>([^<]*)</text>', svg)]


def _label_extents(svg: str, char_width: float = 7.5) -> list[tuple[float, float]]:
    """Where each time label is drawn, from its anchor and a generous width per character."""
    out = []
    for x, anchor, text in re.findall(r'<text class="time" x="([\d.]+)" y="[\d.]+" text-anchor="(\w+)">([^<]*)<', svg):
        w, x0 = char_width * len(text), float(x)
        lo = x0 if anchor == "start" else x0 - w if anchor == "end" else x0 - w / 2
        out.append((lo, lo + w))
    return out


def test_bars_are_proportional_to_values() -> None:
    w = _widths(hbar([("NAME", 40), ("DATE", 20), ("MRN", 10)], title="PHI"))
    assert w[0] == pytest.approx(2 * w[1]) and w[1] == pytest.approx(2 * w[2])


@pytest.mark.parametrize("label", ['<script>alert(1)</script>', '" onload="x', "a&b"])
def test_labels_are_escaped(label: str) -> None:
    svg = hbar([(label, 1)], title=label) + columns([datetime(2024, 1, 1, tzinfo=UTC)], [(label, [1])], title=label)
    assert label not in svg
    assert "<script" not in svg


def test_empty_data_says_so_instead_of_drawing() -> None:
    assert "none in this period" in hbar([], title="Intent mix")
    assert "no messages" in columns([], [("in", [])], title="Messages")


def test_columns_draw_one_bar_per_series_and_bucket() -> None:
    times = [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(5)]
    svg = columns(times, [("in", [1, 2, 3, 4, 5]), ("processed", [0, 2, 3, 4, 4])], title="Messages")
    assert svg.count("<title>in ") == 5 and svg.count("<title>processed ") == 5
    assert len(_bars(svg)) == 5 * 2 and svg.count('class="legend"') == 2


def test_one_bucket_is_a_column_not_a_page_wide_block() -> None:
    """Issue 16: one hourly bucket drew two bars of ~350 px each and a single axis label."""
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    svg = columns([start], [("received", [12]), ("results saved", [12])], title="Messages", width=WIDTH,
                  step=timedelta(hours=1))
    bars = _bars(svg)
    assert len(bars) == 2
    # a literal bound, not the module's constant: the test must fail if that constant grows
    assert all(w <= 24 for _, _, w, _ in bars) and MAX_GROUP_WIDTH <= 48
    left, right = min(x for x, *_ in bars), max(x + w for x, _, w, _ in bars)
    assert right - left <= 48 and abs((left + right) / 2 - (48 + (WIDTH - 58) / 2)) < 1  # centred
    # the axis names both ends of the bucket
    assert [text for _, text in _time_labels(svg)] == ["01-01 09:00", "01-01 10:00"]
    (a, b) = _label_extents(svg)
    assert a[1] < b[0] and a[0] >= 0 and b[1] <= WIDTH


def test_thirty_days_of_daily_buckets_stay_inside_the_chart_and_readable() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = [start + timedelta(days=d) for d in range(30)]
    values = [float(d % 7) for d in range(30)]
    svg = columns(times, [("received", values), ("results saved", values)], title="Messages", width=WIDTH,
                  step=timedelta(days=1), time_format="%Y-%m-%d")
    bars = _bars(svg)
    assert len(bars) == 60
    slot = (WIDTH - 58) / 30
    for i in range(30):  # each day's pair within its own slot, in time order
        (x1, *_), (x2, _, w2, _) = bars[2 * i], bars[2 * i + 1]
        assert 48 + i * slot <= x1 < x2 and x2 + w2 <= 48 + (i + 1) * slot + 0.2
    labels = _time_labels(svg)
    assert 2 <= len(labels) <= 9 and labels[0][1] == "2026-01-01" and labels[-1][1] == "2026-01-31"
    extents = _label_extents(svg)
    assert len(extents) == len(labels)
    assert all(a[1] < b[0] for a, b in pairwise(extents))  # no label overlaps the next
    assert all(0 <= lo and hi <= WIDTH for lo, hi in extents)
    assert all(y >= 30 - 0.1 and h >= 0 and y + h <= 180.1 for _, y, _, h in bars)  # within the plot area


@pytest.mark.parametrize(("value", "top"), [(0, 1), (1, 1), (7, 10), (13, 20), (4500, 5000), (0.3, 0.5)])
def test_axis_tops_are_round(value: float, top: float) -> None:
    assert nice_ceiling(value) == pytest.approx(top)
