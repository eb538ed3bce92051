from __future__ import annotations

import pytest
from anon_helpers import SECRET, span_of

from intakeflow.pipeline.anonymizers import RedactionConfig, redact

TEXT = "call (412) 555-0173 or mail q.varn@example.net re acct AB-99812"


@pytest.mark.parametrize(
    ("piece", "label", "masked"),
    [
        ("(412) 555-0173", "PHONE", "(***) ***-****"),
        ("q.varn@example.net", "EMAIL", "*.****@*******.***"),
        ("AB-99812", "ACCOUNT", "**-*****"),
    ],
)
def test_mask_keeps_length_and_separators(piece: str, label: str, masked: str) -> None:
    out = redact(TEXT, [span_of(TEXT, piece, label)], RedactionConfig(default_operator="mask"))
    assert out == TEXT.replace(piece, masked)


def test_mask_char_configurable() -> None:
    cfg = RedactionConfig(default_operator="mask", mask_char="X")
    out = redact("id 1234", [span_of("id 1234", "1234", "MRN")], cfg)
    assert out == "id XXXX"


def _hash(text: str, piece: str, label: str) -> str:
    cfg = RedactionConfig(default_operator="hash", secret=SECRET)
    return redact(text, [span_of(text, piece, label)], cfg)


def test_hash_format_and_truncation() -> None:
    out = redact("MRN 5561234", [span_of("MRN 5561234", "5561234", "MRN")],
                 RedactionConfig(default_operator="hash", secret=SECRET, hash_chars=12))  # fmt: skip
    prefix, digest = out[len("MRN [") : -1].split(":")
    assert prefix == "MRN" and len(digest) == 12 and int(digest, 16) >= 0


def test_hash_equal_for_normalised_equal_values() -> None:
    a = _hash("ssn 123-45-6789", "123-45-6789", "SSN")
    b = _hash("ssn 123 45 6789", "123 45 6789", "SSN")
    c = _hash("ssn 123-45-6780", "123-45-6780", "SSN")
    assert a == b != c


def test_hash_depends_on_secret_and_label() -> None:
    text = "id 5561234"
    s = [span_of(text, "5561234", "MRN")]
    one = redact(text, s, RedactionConfig(default_operator="hash", secret=SECRET))
    two = redact(text, s, RedactionConfig(default_operator="hash", secret=SECRET[::-1]))
    acct = redact(text, [span_of(text, "5561234", "ACCOUNT")], RedactionConfig(default_operator="hash", secret=SECRET))
    assert one != two
    assert one.split(":")[1] != acct.split(":")[1]


@pytest.mark.parametrize(("scoped", "same"), [(False, True), (True, False)])
def test_hash_scope_option(scoped: bool, same: bool) -> None:
    text = "id 5561234"
    s = [span_of(text, "5561234", "MRN")]
    cfg = RedactionConfig(default_operator="hash", secret=SECRET, hash_scoped=scoped)
    assert (redact(text, s, cfg, scope="p1") == redact(text, s, cfg, scope="p2")) is same
