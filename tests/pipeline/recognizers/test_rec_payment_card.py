from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def values(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["payment_card"].analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 exp 09/27", "4111 1111 1111 1111"),
        ("charged to 4111-1111-1111-1111.", "4111-1111-1111-1111"),
        ("mc 5555555555554444", "5555555555554444"),
        ("amex 378282246310005 please", "378282246310005"),
        ("discover 6011111111111117", "6011111111111117"),
        ("paid with my Visa ending 4417 yesterday", "4417"),
        ("the debit card ending in 0042 was declined", "0042"),
    ],
)
def test_card_positive(text: str, expected: str) -> None:
    assert expected in values(text)


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",
        "ref 1234567890123",
        "tracking 9400111899223334445566",
        "call 617-555-1234",
        "order 4444 4444 4444 4444",
        "my balance is $1,234.56 since 2023",
        "the last 4 of my SSN is 4821",
    ],
)
def test_card_negative(text: str) -> None:
    assert values(text) == []


def test_card_labels() -> None:
    [d] = ALL_RECOGNIZERS["payment_card"].analyze("card 4111111111111111")
    assert (d.phi_label, d.insurance_label, d.validated) == ("ACCOUNT", None, True)
