from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def values(text: str) -> list[str]:
    return sorted(text[d.start : d.end] for d in ALL_RECOGNIZERS["date"].analyze(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOB: 11/03/1985.", ["11/03/1985"]),
        ("seen on 3/14 for a rash", ["3/14"]),
        ("scan 2024-03-14 results", ["2024-03-14"]),
        ("born 31.12.1990 in Lyon", ["31.12.1990"]),
        ("since March 3rd, 2024 I have", ["March 3rd, 2024"]),
        ("appt Mar. 3 at 2", ["Mar. 3"]),
        ("on the 3rd of March it started", ["3rd of March"]),
        ("back in Jan 2024 we spoke", ["Jan 2024"]),
        ("can I come on the 22nd?", ["22nd"]),
        ("symptoms since June.", ["June"]),
        ("Thursday 10/10 works", ["10/10"]),
        ("date of birth January fifth, nineteen eighty-eight, ok", ["January fifth, nineteen eighty-eight"]),
        ("due on the fifth of March", ["fifth of March"]),
        ("dob is four twelve nineteen eighty. thanks", ["four twelve nineteen eighty"]),
        ("options 12/2 or 12/3 please", ["12/2", "12/3"]),
        ("Sept 9, 2023 and 9 Sept 2023", ["9 Sept 2023", "Sept 9, 2023"]),
    ],
)
def test_date_positive(text: str, expected: list[str]) -> None:
    assert values(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "I've been coming here since 2019",  # year alone
        "see you Tuesday at 3pm",  # weekday and time
        "rated you 1/5 stars",  # rating
        "BP 142/90 this morning",  # blood pressure
        "pain is 7/10 today",  # pain scale
        "take 1/2 tablet at night",  # dose
        "meet at 10:30 tomorrow",  # time
        "my 2nd dose is due",  # ordinal count
        "this is the 3rd time I called",
        "you may 5 times a day",
        "the office on the 2nd floor",
        "A1c was 6.5 and LDL 130",
        "update to version 1.2.3",
        "I may call back",
    ],
)
def test_date_negative(text: str) -> None:
    assert values(text) == []
