from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def values(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["ssn"].analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my SSN is 123-45-6789 thanks", "123-45-6789"),
        ("ssn 234 56 7890 please", "234 56 7890"),
        ("Social security number: 345678901.", "345678901"),
        ("the last 4 of my SSN is 4821", "4821"),
        ("last four of my social is six zero four eight.", "six zero four eight"),
        ("SSN ending in 7720 on file", "7720"),
        ("SSN: XXX-XX-3344", "XXX-XX-3344"),
        ("for the form: 456-12-3456.", "456-12-3456"),
        ("my SSN, if you need it, is 912-34-5678", "912-34-5678"),
        ("i dont like giving it out. last 4 is 5168 if u need it", "5168"),
        ("Verified DOB and last four: 0419.", "0419"),
        ("My last four digits are 9047, the rest is on file", "9047"),
    ],
)
def test_ssn_positive(text: str, expected: str) -> None:
    assert expected in values(text)


@pytest.mark.parametrize(
    "text",
    [
        "reference 666-12-3456 on the letter",
        "code 000-12-3456 printed",
        "ticket 900-12-3456 closed",
        "lot 123-00-4567 recalled",
        "batch 123-45-0000 done",
        "order 123456789 shipped",
        "last 4 of my card is 4821",
        "my card's last four is 4821",
        "the account number's last 4 is 4821",
        "Phone on file, last four 5512?",
        "last four of the claim: 2231",
        "we met the last 4 years in 2019",
        "call 617-555-1234 today",
        "my social worker called at 4pm, 2024",
    ],
)
def test_ssn_negative(text: str) -> None:
    assert values(text) == []


def test_validated_flag() -> None:
    [d] = ALL_RECOGNIZERS["ssn"].analyze("SSN 123-45-6789")
    assert d.validated and d.phi_label == "SSN" and d.insurance_label is None
    [p] = ALL_RECOGNIZERS["ssn"].analyze("last 4 of my SSN is 4821")
    assert not p.validated
