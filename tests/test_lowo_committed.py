"""The committed leave-one-writer-out predictions and the shipped artifact tell one story: the
thresholds in model.json are the ones fitted on those predictions, and the quoted figures hold.
Writers who wrote after the shipped model was trained are scored by it as unseen writers
(``unseen-writers-*.jsonl.gz``): together the two files predict every corpus message once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intakeflow.jsonl import read_gold
from intakeflow.lowo import apply, by_writer, tune
from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT

ROOT = Path(__file__).resolve().parents[1]
LOWO = ROOT / "models" / "artifacts" / "lowo"
PRED = LOWO / "lowo-predictions.jsonl.gz"
CORPUS = ROOT / "models" / "corpus" / "data"


@pytest.fixture(scope="module")
def fitted() -> tuple[dict, object, dict]:
    gold = read_gold(CORPUS)
    preds = read_gold(PRED)
    folds = {p["id"] for p in preds}
    unseen = [p["id"] for path in sorted(LOWO.glob("unseen-writers-*.jsonl.gz")) for p in read_gold(path)]
    fold_gold = [g for g in gold if g["id"] in folds]
    tuned = tune(fold_gold, preds)
    reports = by_writer(fold_gold, apply(preds, tuned))
    meta = json.loads((DEFAULT_ARTIFACT / "model.json").read_text())
    info = {"reports": reports, "gold": [g["id"] for g in gold], "folds": [p["id"] for p in preds], "unseen": unseen}
    return meta, tuned, info


def test_every_writer_message_has_one_out_of_sample_prediction(fitted: tuple[dict, object, dict]) -> None:
    _, _, info = fitted
    predicted = info["folds"] + info["unseen"]
    assert len(predicted) == len(set(predicted)) and set(predicted) == set(info["gold"])
    assert len(info["folds"]) >= 5000
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
