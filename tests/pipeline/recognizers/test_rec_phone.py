from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import run_recognizers


def labelled(text: str) -> list[tuple[str, str]]:
    phi, _ = run_recognizers(text)
    return [(text[s.start : s.end], s.label) for s in phi if s.label in ("PHONE", "FAX")]


@pytest.mark.parametrize(
    ("text", "expected", "label"),
    [
        ("call (617) 555-1234 today", "(617) 555-1234", "PHONE"),
        ("cell 617.555.1234.", "617.555.1234", "PHONE"),
        ("reach me at +1 617 555 1234", "+1 617 555 1234", "PHONE"),
        ("office 617-555-1234 x22, ask for me", "617-555-1234 x22", "PHONE"),
        ("fax: 617-555-9876", "617-555-9876", "FAX"),
        ("please fax it to (312) 555-0199.", "(312) 555-0199", "FAX"),
        ("617-555-4321 (fax)", "617-555-4321", "FAX"),
        (
            "call back at five oh four, five five five, zero one four seven thanks",
            "five oh four, five five five, zero one four seven",
            "PHONE",
        ),
        ("my number is 2 0 6 5 5 5 0 1 5 5.", "2 0 6 5 5 5 0 1 5 5", "PHONE"),
        ("text me 6175551234", "6175551234", "PHONE"),
        ("UK office +44 20 7946 0958", "+44 20 7946 0958", "PHONE"),
        ("call me at 555-0142 after six", "555-0142", "PHONE"),
    ],
)
def test_phone_positive(text: str, expected: str, label: str) -> None:
    assert labelled(text) == [(expected, label)]


def test_phone_and_fax_in_one_message() -> None:
    text = "Phone: 617-555-1234, fax: 617-555-9999."
    assert labelled(text) == [("617-555-1234", "PHONE"), ("617-555-9999", "FAX")]


@pytest.mark.parametrize(
    "text",
    [
        "order 6175551234 shipped",  # bare digits without a phone cue
        "member id 6175551234",
        "call 123-555-1234",  # area code cannot start with 1
        "call 617-155-1234",  # exchange cannot start with 1
        "SSN 123-45-6789",
        "account number 2 0 6 5 5 5 0 1 5 5",
        "BP 142/90 at 10:30",
        "ref 617-555-12345",
        "date 2024-03-14 ok",
        "member ID 617 555 1234",
        "code 555-0142 on the box",
        "lab value 5.55.0142",
    ],
)
def test_phone_negative(text: str) -> None:
    assert labelled(text) == []
