from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import run_recognizers


def vehicles(text: str) -> list[str]:
    phi, _ = run_recognizers(text)
    return [text[s.start : s.end] for s in phi if s.label == "VEHICLE"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VIN 1M8GDM9AXKP042788 on the claim", "1M8GDM9AXKP042788"),
        ("the car (1HGCM82633A004352) was hit", "1HGCM82633A004352"),
        ("plate 7XKT219 (blue Civic)", "7XKT219"),
        ("license plate: ABC-1234.", "ABC-1234"),
        ("my tag is C J K 4 4 7 1, thanks", "C J K 4 4 7 1"),
        ("plate number is 4 M N 8 8 2 0.", "4 M N 8 8 2 0"),
        ("vin # 5YJSA1E14HF000001 per the insurer", "5YJSA1E14HF000001"),
    ],
)
def test_vehicle_positive(text: str, expected: str) -> None:
    assert vehicles(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "reference 1M8GDM9AYKP042788 in the letter",  # bad check digit, no cue
        "code 12345678901234567 printed",  # digits only
        "I parked on level 7XKT219",  # no plate cue
        "the plate fell off my car",  # cue without a value
        "tag me in the 2024 photo",  # year is not a plate
        "license plate frame costs $25",  # amount
        "ABCDEFGHJKLMNPRST is not a vin",  # letters only
    ],
)
def test_vehicle_negative(text: str) -> None:
    assert vehicles(text) == []
