from __future__ import annotations

import pytest

from intakeflow.evaluation import format_report, score


def rec(i: str, intent: str, phi: list[tuple[int, int, str]], ins: list[tuple[int, int, str]] | None = None) -> dict:
    return {
        "id": i,
        "intent": intent,
        "phi": [{"start": s, "end": e, "label": lab} for s, e, lab in phi],
        "insurance": [{"start": s, "end": e, "label": lab} for s, e, lab in ins or []],
    }


def test_perfect_prediction_scores_one() -> None:
    gold = [rec("a", "complaint", [(0, 4, "NAME"), (10, 20, "MRN")]), rec("b", "billing_inquiry", [])]
    r = score(gold, gold)
    assert r.intent_accuracy == 1.0 and r.intent_macro_f1 == 1.0
    assert r.phi.macro_f1 == 1.0 and r.redaction_recall == 1.0


def test_strict_boundaries_and_lenient_redaction_recall() -> None:
    gold = [rec("a", "complaint", [(0, 10, "NAME")])]
    pred = [rec("a", "complaint", [(0, 9, "NAME")])]
    r = score(gold, pred)
    assert r.phi.per_type["NAME"].f1 == 0.0  # off by one character: no strict match
    assert r.redaction_recall == pytest.approx(0.9)


def test_wrong_type_counts_as_fp_and_fn() -> None:
    gold = [rec("a", "complaint", [(0, 10, "MRN")])]
    pred = [rec("a", "complaint", [(0, 10, "ACCOUNT")])]
    r = score(gold, pred)
    assert r.phi.per_type["MRN"].fn == 1 and r.phi.per_type["ACCOUNT"].fp == 1
    assert r.phi.macro_f1 == 0.0  # macro runs over types present in gold only
    assert r.redaction_recall == 1.0


def test_intent_macro_f1() -> None:
    gold = [rec("a", "complaint", []), rec("b", "complaint", []), rec("c", "price_shopper", [])]
    pred = [rec("a", "complaint", []), rec("b", "price_shopper", []), rec("c", "price_shopper", [])]
    r = score(gold, pred)
    assert r.intent_accuracy == pytest.approx(2 / 3)
    assert r.intent_macro_f1 == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert "macro" in format_report(r)


def test_missing_prediction_is_an_error() -> None:
    with pytest.raises(ValueError, match="no prediction"):
        score([rec("a", "complaint", [])], [])
