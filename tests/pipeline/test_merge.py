from __future__ import annotations

import pytest

from intakeflow.errors import IntakeflowError
from intakeflow.pipeline.merge import merge
from intakeflow.spans import Span


def model(s: int, e: int, label: str, score: float = 0.9) -> Span:
    return Span(s, e, label, source="model", score=score)


def validated(s: int, e: int, label: str) -> Span:
    return Span(s, e, label, source="validator", score=1.0)


def cued(s: int, e: int, label: str) -> Span:
    return Span(s, e, label, source="validator", score=0.85)


def keys(spans: list[Span]) -> list[tuple[int, int, str]]:
    return [s.key() for s in spans]


def test_validated_structured_wins_boundaries_and_type() -> None:
    out = merge([model(10, 18, "PHONE")], [validated(10, 21, "SSN")], "phi")
    assert keys(out) == [(10, 21, "SSN")]
    assert out[0].source == "validator"


def test_validated_replaces_several_model_pieces() -> None:
    out = merge([model(0, 4, "ACCOUNT"), model(5, 9, "ACCOUNT")], [validated(0, 19, "ACCOUNT")], "phi")
    assert keys(out) == [(0, 19, "ACCOUNT")]


def test_cue_anchored_wins_boundaries_keeps_model_structured_type() -> None:
    out = merge([model(20, 24, "ACCOUNT")], [cued(20, 33, "MRN")], "phi")
    assert keys(out) == [(20, 33, "ACCOUNT")]


def test_cue_anchored_over_linguistic_model_span_takes_its_own_type() -> None:
    out = merge([model(20, 24, "NAME")], [cued(18, 30, "MRN")], "phi")
    assert keys(out) == [(18, 30, "MRN")]


def test_cue_anchored_added_when_model_found_nothing() -> None:
    out = merge([model(0, 5, "NAME")], [cued(20, 28, "HEALTH_PLAN")], "phi")
    assert keys(out) == [(0, 5, "NAME"), (20, 28, "HEALTH_PLAN")]


@pytest.mark.parametrize("label", ["DATE", "NAME", "LOC"])
def test_linguistic_model_wins(label: str) -> None:
    out = merge([model(5, 15, label)], [validated(5, 12, label)], "phi")
    assert keys(out) == [(5, 15, label)]


def test_linguistic_validator_fills_gap() -> None:
    out = merge([model(0, 5, "NAME")], [cued(30, 40, "DATE"), validated(50, 60, "DATE")], "phi")
    assert keys(out) == [(0, 5, "NAME"), (30, 40, "DATE"), (50, 60, "DATE")]


def test_insurance_policy() -> None:
    m = [model(0, 6, "CARRIER"), model(20, 26, "MEMBER_ID"), model(40, 44, "COPAY")]
    v = [cued(20, 30, "MEMBER_ID"), cued(40, 45, "COPAY"), cued(50, 58, "CLAIM_ID"), cued(0, 6, "CARRIER")]
    out = merge(m, v, "insurance")
    assert keys(out) == [(0, 6, "CARRIER"), (20, 30, "MEMBER_ID"), (40, 44, "COPAY"), (50, 58, "CLAIM_ID")]


def test_validated_beats_cue_anchored_among_validators() -> None:
    out = merge([], [cued(0, 12, "ACCOUNT"), validated(4, 12, "PHONE")], "phi")
    assert keys(out) == [(4, 12, "PHONE")]


def test_output_sorted_and_non_overlapping() -> None:
    m = [model(30, 40, "NAME"), model(0, 10, "LOC"), model(35, 45, "NAME", score=0.5)]
    out = merge(m, [validated(12, 20, "EMAIL")], "phi")
    assert keys(out) == [(0, 10, "LOC"), (12, 20, "EMAIL"), (30, 40, "NAME")]


def test_empty_inputs() -> None:
    assert merge([], [], "phi") == []


def test_bad_kind_has_error_code() -> None:
    with pytest.raises(IntakeflowError) as err:
        merge([], [], "both")
    assert err.value.code_id == "E076"
