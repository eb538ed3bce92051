from __future__ import annotations

from decimal import Decimal

import pytest

from intakeflow.pipeline.spoken import find_spoken_numbers, parse_spoken, spoken_amount


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("five oh four", "504"),
        ("zero", "0"),
        ("double five", "55"),
        ("triple seven two", "7772"),
        ("nineteen eighty-eight", "1988"),
        ("forty-five hundred", "4500"),
        ("three hundred twelve", "312"),
        ("five oh four, five five five, zero one four seven", "5045550147"),
        ("two thousand five", "2005"),
        ("twenty twenty-four", "2024"),
        ("six zero four eight", "6048"),
        ("twenty-first", "21"),
    ],
)
def test_digits(text: str, digits: str) -> None:
    run = parse_spoken(text)
    assert run is not None and run.digits == digits


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("forty-five hundred", 4500),
        ("three hundred twelve", 312),
        ("a hundred and fifty", 150),
        ("two thousand five", 2005),
        ("double five", 55),
        ("one fifty", 150),
        ("five oh four", None),
    ],
)
def test_value(text: str, value: int | None) -> None:
    run = parse_spoken(text)
    assert run is not None and run.value == value


def test_runs_keep_char_spans_and_stop_at_ordinals() -> None:
    text = "born January fifth, nineteen eighty-eight ok"
    runs = find_spoken_numbers(text)
    assert [text[r.start : r.end] for r in runs] == ["fifth", "nineteen eighty-eight"]
    assert runs[0].ordinal and runs[0].value == 5
    assert runs[1].groups == (19, 88)


@pytest.mark.parametrize("text", ["oh well I think so", "a hundred people", "and then", "", "nothing here", "oh, okay"])
def test_no_false_runs(text: str) -> None:
    runs = find_spoken_numbers(text)
    assert all(text[r.start : r.end].lower() not in ("oh", "a", "and") for r in runs)
    if text != "a hundred people":
        assert runs == ()


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("three hundred twelve dollars", Decimal("312.00")),
        ("forty-five hundred dollars", Decimal("4500.00")),
        ("twelve dollars and fifty cents", Decimal("12.50")),
        ("$1,250.00", Decimal("1250.00")),
        ("$35", Decimal("35.00")),
        ("35 bucks", Decimal("35.00")),
        ("fifty cents", Decimal("0.50")),
        ("$2.5k", Decimal("2500.00")),
        ("a hundred and fifty dollars", Decimal("150.00")),
    ],
)
def test_spoken_amount(text: str, amount: Decimal) -> None:
    assert spoken_amount(text) == amount


@pytest.mark.parametrize("text", ["", "no amount", "dollars", "oh dollars"])
def test_spoken_amount_none(text: str) -> None:
    assert spoken_amount(text) is None
