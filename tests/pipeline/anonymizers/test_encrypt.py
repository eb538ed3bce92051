from __future__ import annotations

import pytest
from anon_helpers import KEY, span_of

from intakeflow.pipeline.anonymizers import RedactionConfig, RedactionError, decrypt, redact
from intakeflow.spans import Span

TEXT = "Subscriber Wendeline Ostrova, member id QZT448812, born 2/9/1961."


def _spans() -> list[Span]:
    return [
        span_of(TEXT, "Wendeline Ostrova", "NAME"),
        span_of(TEXT, "QZT448812", "HEALTH_PLAN"),
        span_of(TEXT, "2/9/1961", "DATE"),
    ]


def test_roundtrip() -> None:
    out = redact(TEXT, _spans(), RedactionConfig(default_operator="encrypt", encryption_key=KEY))
    assert "Ostrova" not in out and "QZT448812" not in out
    assert out.count("[ENC:") == 3
    assert decrypt(out, KEY) == TEXT


def test_same_value_encrypts_differently() -> None:
    cfg = RedactionConfig(default_operator="encrypt", encryption_key=KEY)
    assert redact(TEXT, _spans(), cfg) != redact(TEXT, _spans(), cfg)


def test_wrong_key_fails_cleanly() -> None:
    out = redact(TEXT, _spans(), RedactionConfig(default_operator="encrypt", encryption_key=KEY))
    with pytest.raises(RedactionError) as err:
        decrypt(out, bytes(32))
    assert err.value.code_id == "E074"
    assert "Ostrova" not in str(err.value)


def test_tampered_label_is_detected() -> None:
    out = redact(TEXT, _spans(), RedactionConfig(default_operator="encrypt", encryption_key=KEY))
    with pytest.raises(RedactionError):
        decrypt(out.replace("[ENC:NAME:", "[ENC:LOC:", 1), KEY)


def test_text_without_tokens_unchanged() -> None:
    assert decrypt("nothing [NAME] here", KEY) == "nothing [NAME] here"


def test_mixed_operators_only_encrypted_spans_come_back() -> None:
    cfg = RedactionConfig(operators={"NAME": "encrypt"}, encryption_key=KEY)
    out = redact(TEXT, _spans(), cfg)
    back = decrypt(out, KEY)
    assert "Wendeline Ostrova" in back and "[HEALTH_PLAN]" in back and "[DATE]" in back
