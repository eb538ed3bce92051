from __future__ import annotations

import re

import pytest
from anon_helpers import SECRET, span_of

from intakeflow.pipeline.anonymizers import RedactionConfig, redact
from intakeflow.pipeline.anonymizers.pools import CITIES, FIRST_NAMES, LAST_NAMES
from intakeflow.spans import Span

CFG = RedactionConfig(default_operator="surrogate", secret=SECRET)


def one(value: str, label: str, scope: str = "p1", before: str = "x ") -> str:
    text = before + value
    return redact(text, [Span(len(before), len(text), label)], CFG, scope=scope)[len(before) :]


def test_full_name_uses_pools_and_keeps_case() -> None:
    first, last = one("Quillon Ardsmere", "NAME").split()
    assert first in FIRST_NAMES and last in LAST_NAMES
    assert one("QUILLON ARDSMERE", "NAME").isupper()


def test_first_name_alone_matches_full_name_fake() -> None:
    text = "Quillon Ardsmere wrote; Quillon says hi"
    spans = [span_of(text, "Quillon Ardsmere", "NAME"), span_of(text, "Quillon", "NAME", 1)]
    out = redact(text, spans, CFG, scope="p1")
    m = re.fullmatch(r"(\w+) (\w+) wrote; (\w+) says hi", out)
    assert m and m.group(1) == m.group(3)


def test_surname_after_honorific_uses_last_name_pool() -> None:
    assert one("Ardsmere", "NAME", before="see Dr. ") in LAST_NAMES
    assert one("Quillon", "NAME", before="hi ") in FIRST_NAMES


def test_consistent_within_scope_and_differs_across_scopes() -> None:
    a = one("Quillon Ardsmere", "NAME", "p1")
    assert a == one("Quillon Ardsmere", "NAME", "p1")
    assert one("quillon ardsmere", "NAME", "p1") == a.lower()
    fakes = {one("Quillon Ardsmere", "NAME", f"p{i}") for i in range(8)}
    assert len(fakes) > 1


def test_secret_changes_output() -> None:
    other = RedactionConfig(default_operator="surrogate", secret=SECRET[::-1])
    text = "x 617-555-0000 x"
    s = [span_of(text, "617-555-0000", "PHONE")]
    assert redact(text, s, CFG) != redact(text, s, other)


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ("(617) 555-1234", r"\(\d{3}\) 555-01\d\d"),
        ("617.555.1234", r"\d{3}\.555\.01\d\d"),
        ("+1 617 555 1234", r"\+1 \d{3} 555 01\d\d"),
        ("555-1234", r"555-01\d\d"),
    ],
)
def test_phone_fictional_range_same_layout(value: str, pattern: str) -> None:
    assert re.fullmatch(pattern, one(value, "PHONE"))


def test_email_reserved_domain() -> None:
    assert re.fullmatch(r"[a-z]+\.[a-z]+\d\d@example\.(com|org|net)", one("orrin.tesk@mailbox.test", "EMAIL"))


@pytest.mark.parametrize(
    ("value", "label", "pattern"),
    [
        ("AB-12345", "MRN", r"[A-Z]{2}-\d{5}"),
        ("xq77-19", "DEVICE", r"[a-z]{2}\d{2}-\d{2}"),
        ("123-45-6789", "SSN", r"9\d\d-\d\d-\d{4}"),
        ("4821", "SSN", r"\d{4}"),
        ("10.20.30.40", "IP", r"192\.0\.2\.\d{1,3}"),
        ("fe80::1ff:fe23:4567:890a", "IP", r"2001:db8::[0-9a-f]{1,4}"),
        ("https://portal.clinic.test/u/9981", "URL", r"https://example\.org/[a-z0-9]{8}"),
        ("IMG_4471.jpg", "PHOTO_REF", r"[A-Z]{3}_\d{4}\.jpg"),
        ("96", "AGE_OVER_89", r"90\+"),
        ("02134", "LOC", r"\d{5}"),
    ],
)
def test_shapes(value: str, label: str, pattern: str) -> None:
    fake = one(value, label)
    assert re.fullmatch(pattern, fake), fake
    assert fake != value


def test_address_keeps_state_and_layout() -> None:
    fake = one("48 Pellham Road, Oxbury, VT 05401", "LOC")
    m = re.fullmatch(r"(\d{2}) (\w+) Road, ([\w ]+), VT (\d{5})", fake)
    assert m, fake
    assert m.group(3) in CITIES and m.group(4) != "05401" and "Pellham" not in fake


def test_city_alone() -> None:
    assert one("Oxbury", "LOC") in CITIES


def test_dates_shift_like_dateshift() -> None:
    text = "on 01/10/2024"
    s = [span_of(text, "01/10/2024", "DATE")]
    via_surrogate = redact(text, s, CFG, scope="p9")
    via_shift = redact(text, s, RedactionConfig(default_operator="dateshift", secret=SECRET), scope="p9")
    assert via_surrogate == via_shift != text


def test_po_box_keeps_its_word() -> None:
    fake = one("PO Box 4432, Oxbury, VT 05401", "LOC")
    assert re.fullmatch(r"PO Box \d{4}, [\w ]+, VT \d{5}", fake) and "4432" not in fake


@pytest.mark.parametrize(("value", "pattern"), [("Kenji W", r"[A-Z][a-z]+ [A-Z]"), ("kenji w", r"[a-z]+ [a-z]")])
def test_initial_stays_an_initial_in_its_case(value: str, pattern: str) -> None:
    assert re.fullmatch(pattern, one(value, "NAME"))
