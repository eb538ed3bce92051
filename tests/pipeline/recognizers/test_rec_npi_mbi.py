from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS, run_recognizers


def npi(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["npi"].analyze(text)]


def mbi(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["mbi"].analyze(text)]


@pytest.mark.parametrize(
    "text",
    [
        "Dr. Lee, NPI 1234567893",
        "ordering provider NPI: 1234567893.",
        "npi# 1245319599",
        "National Provider Identifier 1245319599",
        "referring NPI is 1234567893 thanks",
        "(NPI 1245319599)",
    ],
)
def test_npi_positive_is_a_mask(text: str) -> None:
    [d] = ALL_RECOGNIZERS["npi"].analyze(text)
    assert d.phi_label is None and d.insurance_label is None and d.validated
    phi, ins = run_recognizers(text)
    assert phi == [] and ins == []


@pytest.mark.parametrize(
    "text",
    [
        "NPI 1234567890",
        "member id 1234567893",
        "NPI 123456789",
        "NPI 12345678931",
        "call 1234567893",
        "NPI 3234567893",
    ],
)
def test_npi_negative(text: str) -> None:
    assert npi(text) == []


def test_npi_mask_suppresses_cue_detection() -> None:
    text = "account NPI 1234567893"
    phi, _ = run_recognizers(text)
    assert phi == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Medicare number 1EG4-TE5-MK73", "1EG4-TE5-MK73"),
        ("MBI 1EG4TE5MK73.", "1EG4TE5MK73"),
        ("my new card shows 2A93-CD4-EF56 now", "2A93-CD4-EF56"),
        ("id:9K77MN8PQ12", "9K77MN8PQ12"),
        ("(5TX2-A70-RH99)", "5TX2-A70-RH99"),
        ("beneficiary 3C25EF7GH88 ok", "3C25EF7GH88"),
    ],
)
def test_mbi_positive(text: str, expected: str) -> None:
    assert mbi(text) == [expected]
    phi, ins = run_recognizers(text)
    assert [(text[s.start : s.end], s.label) for s in phi] == [(expected, "HEALTH_PLAN")]
    assert [(text[s.start : s.end], s.label) for s in ins] == [(expected, "MEMBER_ID")]


@pytest.mark.parametrize(
    "text",
    [
        "0EG4-TE5-MK73",  # position 1 may not be 0
        "1SG4-TE5-MK73",  # S is never used
        "1EG4-TE5MK73",  # dashes all or none
        "1EG4TE5MK7",  # 10 characters
        "1EG4-TE5-MK73X",  # glued to more text
        "1eg4-te5-mk73",  # lower case
        "1EGA-TE5-MK73",  # position 4 must be a digit
    ],
)
def test_mbi_negative(text: str) -> None:
    assert mbi(text) == []
