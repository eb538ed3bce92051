"""Leave-one-writer-out scoring and the settings tuned on out-of-fold predictions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from intakeflow.cli import main
from intakeflow.lowo import REDACTION_THRESHOLDS, apply, by_writer, lowo_table, tune
from intakeflow.spec import INTENTS


def _fold_data(n: int = 200, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """Gold and out-of-fold predictions: confident when right, hesitant when wrong; redaction
    that covers the PHI only from threshold 0.2 down, and runs over the next word from 0.1 down."""
    rng = np.random.default_rng(seed)
    gold, preds = [], []
    for i in range(n):
        writer = f"w{i % 4 + 1:02d}"
        intent = INTENTS[i % len(INTENTS)]
        text = f"hello Ana Ruiz number {i}"
        gold.append(
            {
                "id": f"{writer}-{i}",
                "writer": writer,
                "text": text,
                "intent": intent,
                "phi": [{"start": 6, "end": 14, "label": "NAME"}],
                "insurance": [],
            }
        )
        wrong = i % 10 == 0
        logits = rng.normal(0, 0.3, len(INTENTS))
        k = (INTENTS.index(intent) + (1 if wrong else 0)) % len(INTENTS)
        logits[k] += 1.0 if wrong else 4.0
        cover_to = {t: (21 if t <= 0.1 else 14 if t <= 0.2 else 9) for t in REDACTION_THRESHOLDS}
        preds.append(
            {
                "id": f"{writer}-{i}",
                "writer": writer,
                "intent": INTENTS[k],
                "needs_review": False,
                "phi": [{"start": 6, "end": 9, "label": "NAME"}],
                "insurance": [],
                "intent_logits": logits.tolist(),
                "redacted_spans_at": {str(t): [{"start": 6, "end": e, "label": "NAME"}] for t, e in cover_to.items()},
            }
        )
    return gold, preds


def test_tune_meets_targets_when_they_can_be_met() -> None:
    gold, preds = _fold_data()
    tuned = tune(gold, preds)
    assert tuned.temperature > 0
    # full recall from 0.2 down; below 0.15 it over-redacts: the highest of the full-recall,
    # within-budget thresholds
    assert tuned.redaction_threshold == 0.2
    over = {t: o for t, _, o in tuned.redaction_curve}
    assert over[0.1] > 0.025 >= over[0.2]
    reports = by_writer(gold, apply(preds, tuned))
    assert reports["all"].redaction_recall == 1.0
    # 10 % are wrong with hesitant scores: flagging them leaves none unflagged, within the budget
    assert reports["all"].misrouted_unflagged <= 0.02
    assert reports["all"].flagged <= 0.10 + 1e-9
    assert set(reports) == {"w01", "w02", "w03", "w04", "all"}
    table = lowo_table(reports)
    assert table.count("\n") == len(reports) + 1 and "**all**" in table


def test_review_budget_binds_when_targets_cannot_be_met() -> None:
    gold, preds = _fold_data()
    for p in preds[::3]:  # many confident mistakes: no threshold can catch them within 10 %
        k = (INTENTS.index(p["intent"]) + 2) % len(INTENTS)
        p["intent_logits"] = [8.0 if j == k else 0.0 for j in range(len(INTENTS))]
    tuned = tune(gold, preds)
    curve = {t: (flagged, wrong) for t, flagged, wrong in tuned.review_curve}
    assert not any(w <= 0.02 and f <= 0.10 for f, w in curve.values())  # no threshold meets both targets
    lowest = min(curve)
    if curve[lowest][0] > 0.10:  # the clinical rules alone flag more than the budget
        assert tuned.review_threshold == lowest
    else:  # the budget binds: the highest threshold that still flags at most 10 %
        assert curve[tuned.review_threshold][0] <= 0.10
        higher = [t for t in curve if t > tuned.review_threshold]
        assert not higher or curve[min(higher)][0] > 0.10


def _write_corpus(tmp_path: Path, gold: list[dict[str, Any]]) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for w in ("w01", "w02", "w03", "w04"):
        (corpus / f"{w}.jsonl").write_text("".join(json.dumps(g) + "\n" for g in gold if g["writer"] == w))
    return corpus


def test_eval_lowo_cli_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold, preds = _fold_data(70)
    corpus = _write_corpus(tmp_path, gold)
    pred_file = tmp_path / "pred.jsonl"
    pred_file.write_text("".join(json.dumps(p) + "\n" for p in preds))
    assert main(["eval", str(corpus), "--lowo", str(pred_file)]) == 0
    out = capsys.readouterr().out
    assert "leave-one-writer-out: 70 messages, 4 writers" in out
    assert "| **all** | 70 |" in out
    assert main(["eval", str(corpus), "--lowo", str(pred_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tuned"]["redaction_threshold"] == 0.2 and data["all"]["n"] == 70
    art = tmp_path / "artifact"
    art.mkdir()
    (art / "model.json").write_text(json.dumps({"name": "m", "version": "1", "temperature": 1.0}))
    assert main(["eval", str(corpus), "--lowo", str(pred_file), "--write-artifact", str(art)]) == 0
    meta = json.loads((art / "model.json").read_text())
    assert meta["redaction_threshold"] == 0.2 and meta["temperature"] == round(data["tuned"]["temperature"], 4)
    assert meta["review_threshold"] == data["tuned"]["review_threshold"]
    assert meta["leave_one_writer_out"]["messages"] == 70


def test_eval_lowo_pools_several_files_and_refuses_a_message_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold, preds = _fold_data(70)
    corpus = _write_corpus(tmp_path, gold)
    folds, unseen = tmp_path / "folds.jsonl", tmp_path / "unseen.jsonl"
    folds.write_text("".join(json.dumps(p) + "\n" for p in preds if p["writer"] != "w04"))
    unseen.write_text("".join(json.dumps(p) + "\n" for p in preds if p["writer"] == "w04"))
    assert main(["eval", str(corpus), "--lowo", str(folds), str(unseen)]) == 0
    assert "leave-one-writer-out: 70 messages, 4 writers" in capsys.readouterr().out
    assert main(["eval", str(corpus), "--lowo", str(folds), str(folds)]) == 2
    assert "predicted in more than one --lowo file" in capsys.readouterr().err
