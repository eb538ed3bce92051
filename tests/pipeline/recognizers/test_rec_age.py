from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def values(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["age_over_89"].analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my mom, she's 96 and frail", "96"),
        ("patient age 92, female", "92"),
        ("he is 93 years old", "93"),
        ("93yo male with cough", "93"),
        ("aged 101 and sharp", "101"),
        ("a 90-year-old neighbour", "90"),
        ("At 94, I can't drive anymore", "94"),
        ("grandma turned 99 last week", "99"),
        ("she is ninety-two years old", "ninety-two"),
    ],
)
def test_age_positive(text: str, expected: str) -> None:
    assert values(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "she's 89 and well",  # under 90
        "age 45",
        "he's 96 pounds now",  # weight
        "I'm 100% sure",
        "oxygen at 92 percent",
        "BP 95/60 lying down",
        "fever at 101 degrees",
        "call me at 93",
        "room 92 upstairs",
        "she is 95 lbs",
    ],
)
def test_age_negative(text: str) -> None:
    assert values(text) == []
