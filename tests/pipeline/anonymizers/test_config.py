from __future__ import annotations

import pytest
from anon_helpers import SECRET

from intakeflow.pipeline.anonymizers import RedactionConfig, RedactionError, redact
from intakeflow.spans import Span


@pytest.mark.parametrize("op", ["surrogate", "dateshift", "hash"])
def test_keyed_operators_refuse_without_secret(op: str) -> None:
    with pytest.raises(RedactionError) as err:
        RedactionConfig(default_operator=op)
    assert err.value.code_id == "E072"


@pytest.mark.parametrize("op", ["surrogate", "dateshift", "hash"])
def test_keyed_operator_as_override_also_needs_secret(op: str) -> None:
    with pytest.raises(RedactionError):
        RedactionConfig(operators={"DATE": op})


def test_secret_removed_after_construction_is_caught_at_redact() -> None:
    cfg = RedactionConfig(default_operator="hash", secret=SECRET)
    cfg.secret = None
    with pytest.raises(RedactionError) as err:
        redact("abc", [Span(0, 3, "NAME")], cfg)
    assert err.value.code_id == "E072"


@pytest.mark.parametrize("secret", [b"short", "a-string-secret-long-enough"])
def test_weak_or_wrong_type_secret_rejected(secret: object) -> None:
    with pytest.raises(RedactionError) as err:
        RedactionConfig(default_operator="hash", secret=secret)  # type: ignore[arg-type]
    assert err.value.code_id == "E050"


@pytest.mark.parametrize("key", [None, b"0123456789", "x" * 32])
def test_encrypt_needs_valid_key(key: object) -> None:
    with pytest.raises(RedactionError) as err:
        RedactionConfig(default_operator="encrypt", encryption_key=key)  # type: ignore[arg-type]
    assert err.value.code_id == "E073"


@pytest.mark.parametrize("size", [16, 24, 32])
def test_encrypt_accepts_aes_key_sizes(size: int) -> None:
    RedactionConfig(default_operator="encrypt", encryption_key=bytes(size))


def test_unknown_operator() -> None:
    with pytest.raises(RedactionError) as err:
        RedactionConfig(operators={"NAME": "scramble"})
    assert err.value.code_id == "E071"


def test_unknown_label_in_overrides() -> None:
    with pytest.raises(RedactionError) as err:
        RedactionConfig(operators={"NAMES": "mask"})
    assert err.value.code_id == "E050"


@pytest.mark.parametrize("kwargs", [{"mask_char": ""}, {"mask_char": "**"}, {"mask_char": " "},
                                    {"date_shift_days": 0}, {"hash_chars": 4}])  # fmt: skip
def test_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(RedactionError):
        RedactionConfig(**kwargs)  # type: ignore[arg-type]


def test_defaults_need_no_secret() -> None:
    cfg = RedactionConfig()
    assert cfg.default_operator == "tag" and cfg.secret is None and cfg.encryption_key is None
