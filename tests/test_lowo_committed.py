"""The committed leave-one-writer-out predictions and the shipped artifact tell one story: the
thresholds in model.json are the ones fitted on those predictions, and the quoted figures hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intakeflow.jsonl import read_gold
from intakeflow.lowo import apply, by_writer, tune
from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT

ROOT = Path(__file__).resolve().parents[1]
PRED = ROOT / "models" / "artifacts" / "lowo" / "lowo-predictions.jsonl.gz"
CORPUS = ROOT / "models" / "corpus" / "data"


@pytest.fixture(scope="module")
def fitted() -> tuple[dict, object, dict]:
    gold = read_gold(CORPUS)
    preds = read_gold(PRED)
    tuned = tune(gold, preds)
    reports = by_writer(gold, apply(preds, tuned))
    meta = json.loads((DEFAULT_ARTIFACT / "model.json").read_text())
    return meta, tuned, {"reports": reports, "n_gold": len(gold), "n_pred": len(preds)}


def test_every_writer_message_has_an_out_of_fold_prediction(fitted: tuple[dict, object, dict]) -> None:
    _, _, info = fitted
    assert info["n_gold"] == info["n_pred"] >= 5000
    assert len(info["reports"]) - 1 >= 12  # writers, plus the pooled report


def test_artifact_carries_the_thresholds_fitted_on_held_out_writers(fitted: tuple[dict, object, dict]) -> None:
    meta, tuned, _ = fitted
    assert meta["temperature"] == pytest.approx(tuned.temperature, abs=1e-3)  # type: ignore[attr-defined]
    assert meta["review_threshold"] == tuned.review_threshold  # type: ignore[attr-defined]
    assert meta["redaction_threshold"] == tuned.redaction_threshold  # type: ignore[attr-defined]


def test_quoted_leave_one_writer_out_figures_hold(fitted: tuple[dict, object, dict]) -> None:
    meta, _, info = fitted
    pooled = info["reports"]["all"]
    assert pooled.intent_macro_f1 >= 0.93
    assert pooled.redaction_recall >= 0.995 and pooled.over_redaction <= 0.05
    assert pooled.misrouted_unflagged <= 0.02 and pooled.flagged <= 0.10
    assert meta["leave_one_writer_out"]["phi_macro_f1"] == pytest.approx(pooled.phi.macro_f1, abs=1e-4)
