from __future__ import annotations

import datetime as dt

import pytest
from anon_helpers import SECRET, span_of

from intakeflow.pipeline.anonymizers import RedactionConfig, redact
from intakeflow.pipeline.anonymizers.dates import parse_date
from intakeflow.pipeline.anonymizers.dateshift import scope_offset


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11/03/1985", dt.date(1985, 11, 3)),
        ("3/14", dt.date(2000, 3, 14)),
        ("03-14-24", dt.date(2024, 3, 14)),
        ("2024-03-14", dt.date(2024, 3, 14)),
        ("March 3rd", dt.date(2000, 3, 3)),
        ("Mar. 3, 2024", dt.date(2024, 3, 3)),
        ("3 March 2024", dt.date(2024, 3, 3)),
        ("3rd of March", dt.date(2000, 3, 3)),
        ("25/12/2023", dt.date(2023, 12, 25)),
        ("2/29", dt.date(2000, 2, 29)),
    ],
)
def test_parse(value: str, expected: dt.date) -> None:
    form = parse_date(value)
    assert form is not None and form.date == expected
    assert form.render(form.date) == value


@pytest.mark.parametrize("value", ["June", "Jan 2024", "22nd", "2/30", "13/13/2020", "3.14", "tomorrow", "March third"])
def test_unparseable(value: str) -> None:
    assert parse_date(value) is None


@pytest.mark.parametrize(
    ("value", "days", "expected"),
    [
        ("11/03/1985", 20, "11/23/1985"),
        ("11/03/1985", -40, "09/24/1985"),
        ("3/14", 20, "4/3"),
        ("2024-03-14", -14, "2024-02-29"),
        ("March 3rd", 20, "March 23rd"),
        ("Mar. 3, 2024", -40, "Jan. 23, 2024"),
        ("Dec 31, 1999", 1, "Jan 1, 2000"),
        ("3rd of March", -2, "1st of March"),
        ("SEPT 3RD", 19, "SEPT 22ND"),
    ],
)
def test_render_same_form(value: str, days: int, expected: str) -> None:
    form = parse_date(value)
    assert form is not None
    assert form.render(form.date + dt.timedelta(days=days)) == expected


def test_offset_range_and_never_zero() -> None:
    offsets = {scope_offset(SECRET, f"p{i}", 5) for i in range(300)}
    assert offsets == {-5, -4, -3, -2, -1, 1, 2, 3, 4, 5}


TEXT = "Seen 01/10/2024, follow-up 02/09/2024, born March 3rd, due in June."


def _shift(scope: str, days: int = 30) -> str:
    spans = [span_of(TEXT, p, "DATE") for p in ("01/10/2024", "02/09/2024", "March 3rd", "June")]
    cfg = RedactionConfig(operators={"DATE": "dateshift"}, secret=SECRET, date_shift_days=days)
    return redact(TEXT, spans, cfg, scope=scope)


def test_intervals_preserved_within_scope() -> None:
    out = _shift("patient-A")
    a, b = out.split("Seen ")[1][:10], out.split("follow-up ")[1][:10]
    da, db = (dt.datetime.strptime(x, "%m/%d/%Y").date() for x in (a, b))
    assert (db - da).days == 30
    offset = (da - dt.date(2024, 1, 10)).days
    assert offset == scope_offset(SECRET, "patient-A", 30) and offset != 0


def test_same_scope_is_stable_other_scope_differs() -> None:
    assert _shift("patient-A") == _shift("patient-A")
    outs = {_shift(f"patient-{i}") for i in range(6)}
    assert len(outs) > 1


def test_partial_dates_fall_back_to_tag() -> None:
    assert "due in [DATE]." in _shift("patient-A")


def test_non_date_label_is_tagged() -> None:
    cfg = RedactionConfig(default_operator="dateshift", secret=SECRET)
    assert redact("MRN 3/14", [span_of("MRN 3/14", "3/14", "MRN")], cfg) == "MRN [MRN]"
