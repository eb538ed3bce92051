from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from intakeflow.plugins.monitoring.charts import columns, hbar


def _widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="\d+" y="\d+" width="([\d.]+)"', svg)]


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
    assert svg.count("<rect") == 5 * 2 + 2  # bars plus two legend swatches
