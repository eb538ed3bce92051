"""The adjudication pass: the adjudicated set replaces the writer's, alike on every build."""

from __future__ import annotations

import copy
import json
from collections import Counter
from typing import Any

import pytest

from models.corpus import adjudicate
from models.corpus.check import check_record

TEXT = "Hi, I'm on my husband's plan, subscriber Tomas Reyes, and my son Leo is on it too."


def _rec() -> dict[str, Any]:
    s = TEXT.index("Tomas Reyes")
    return {
        "id": "w99-1",
        "text": TEXT,
        "phi": [{"start": s, "end": s + 11, "label": "NAME"}],
        "insurance": [{"start": s, "end": s + 11, "label": "SUBSCRIBER_NAME"}],
    }


def _labels(rec: dict[str, Any], field: str = "insurance") -> list[tuple[str, str]]:
    return [(rec["text"][s["start"] : s["end"]], s["label"]) for s in rec[field]]


def test_adds_and_keeps_and_is_idempotent() -> None:
    rec = _rec()
    decision = {
        "spans": [
            {"label": "RELATIONSHIP", "text": "husband", "occurrence": 1},
            {"label": "SUBSCRIBER_NAME", "text": "Tomas Reyes", "occurrence": 1},
        ]
    }
    counts: Counter[str] = Counter()
    adjudicate.apply(rec, "relationship-subscriber", decision, counts)
    assert _labels(rec) == [("husband", "RELATIONSHIP"), ("Tomas Reyes", "SUBSCRIBER_NAME")]
    assert counts == Counter({"RELATIONSHIP added": 1})
    assert [s.get("adjudicated", False) for s in rec["insurance"]] == [True, False]  # the writer's span kept as it was
    again = copy.deepcopy(rec)
    adjudicate.apply(again, "relationship-subscriber", decision, Counter())
    assert again == rec


def test_removes_what_the_decision_leaves_out() -> None:
    rec = _rec()
    counts: Counter[str] = Counter()
    adjudicate.apply(rec, "relationship-subscriber", {"spans": []}, counts)
    assert rec["insurance"] == []
    assert counts == Counter({"SUBSCRIBER_NAME removed": 1})


def test_subscriber_needs_its_phi_name_and_no_overlap() -> None:
    rec = _rec()
    counts: Counter[str] = Counter()
    decision = {"spans": [{"label": "SUBSCRIBER_NAME", "text": "Leo", "occurrence": 1}]}
    adjudicate.apply(rec, "relationship-subscriber", decision, counts)
    assert rec["insurance"] == [] and counts["SUBSCRIBER_NAME without a PHI NAME span: left out"] == 1
    rec = _rec()
    decision = {"spans": [{"label": "DEVICE", "text": "Tomas", "occurrence": 1}]}
    adjudicate.apply(rec, "identifiers", decision, counts)
    assert _labels(rec, "phi") == [("Tomas Reyes", "NAME")]
    assert counts["DEVICE overlapping another span: left out"] == 1


def test_a_label_of_another_round_or_text_not_there_is_an_error() -> None:
    with pytest.raises(ValueError, match="not this round's"):
        adjudicate.apply(_rec(), "identifiers", {"spans": [{"label": "RELATIONSHIP", "text": "son"}]}, Counter())
    with pytest.raises(ValueError, match="not in the text"):
        adjudicate.apply(_rec(), "relationship-subscriber", {"spans": [{"label": "RELATIONSHIP", "text": "wife"}]}, Counter())


def test_committed_decisions_are_applied_and_the_corpus_passes_the_checker() -> None:
    decisions = adjudicate.load()
    assert sum(len(v) for v in decisions.values()) >= 90
    ids = set(decisions)
    seen = 0
    for path in sorted((adjudicate.HERE.parent / "data").glob("w*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            if rec["id"] not in ids:
                continue
            seen += 1
            applied = copy.deepcopy(rec)
            for round_name, decision in decisions[rec["id"]]:
                adjudicate.apply(applied, round_name, decision, Counter())
            assert applied == rec, f"{rec['id']}: the committed data is not the adjudicated data (run models.corpus.build)"
            assert check_record(rec) == []
    assert seen == len(ids)
