from __future__ import annotations

import pytest
from anon_helpers import SECRET, span_of

from intakeflow.pipeline.anonymizers import OPERATORS, RedactionConfig, RedactionError, redact
from intakeflow.spans import Span

TEXT = "Patient Tovald Prusk, MRN 7730115, phone 313-555-0199, seen 04/02/2023."


def spans() -> list[Span]:
    return [
        span_of(TEXT, "Tovald Prusk", "NAME"),
        span_of(TEXT, "7730115", "MRN"),
        span_of(TEXT, "313-555-0199", "PHONE"),
        span_of(TEXT, "04/02/2023", "DATE"),
    ]


def test_tag_is_default_and_keeps_other_text() -> None:
    out = redact(TEXT, spans(), RedactionConfig())
    assert out == "Patient [NAME], MRN [MRN], phone [PHONE], seen [DATE]."


def test_span_order_does_not_matter() -> None:
    cfg = RedactionConfig()
    assert redact(TEXT, list(reversed(spans())), cfg) == redact(TEXT, spans(), cfg)


def test_no_spans_returns_text_unchanged() -> None:
    assert redact(TEXT, [], RedactionConfig()) == TEXT


def test_per_label_override() -> None:
    cfg = RedactionConfig(operators={"MRN": "mask"})
    out = redact(TEXT, spans(), cfg)
    assert "MRN *******," in out and "[NAME]" in out


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ([Span(8, 14, "NAME"), Span(10, 20, "NAME")], "overlap"),
        ([Span(0, 500, "NAME")], "out of range"),
        ([Span(5, 5, "NAME")], "out of range"),
        ([Span(0, 3, "NOT_A_LABEL")], "unknown label"),
    ],
)
def test_bad_spans_raise_e070_without_text(bad: list[Span], why: str) -> None:
    with pytest.raises(RedactionError) as err:
        redact(TEXT, bad, RedactionConfig())
    assert err.value.code_id == "E070"
    assert why in str(err.value)
    assert "Tovald" not in str(err.value)


def test_adjacent_spans_are_not_overlap() -> None:
    text = "AB"
    out = redact(text, [Span(0, 1, "NAME"), Span(1, 2, "NAME")], RedactionConfig())
    assert out == "[NAME][NAME]"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_every_operator_has_name_and_version(name: str) -> None:
    op = OPERATORS[name]
    assert op.NAME == name
    assert op.VERSION.count(".") == 2


def test_only_encrypt_is_reversible() -> None:
    assert [n for n, op in OPERATORS.items() if op.REVERSIBLE] == ["encrypt"]


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_no_operator_leaks_the_value(name: str) -> None:
    cfg = RedactionConfig(default_operator=name, secret=SECRET, encryption_key=bytes(32))
    out = redact(TEXT, spans(), cfg, scope="patient-1")
    for s in spans():
        assert TEXT[s.start : s.end] not in out
