"""Tests of the synthetic training-data generator (synthetic data only)."""

from __future__ import annotations

import copy
import itertools
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from intakeflow.errors import IntakeflowError
from intakeflow.spec import CHANNELS, INSURANCE_TYPES, INTENTS, PHI_TYPES
from models.generator import generate, ids, validate_record, write_jsonl


@pytest.fixture(scope="module")
def batch() -> list[dict[str, Any]]:
    return list(generate(2000, seed=11))


def test_deterministic_for_a_seed() -> None:
    assert list(generate(200, seed=5)) == list(generate(200, seed=5))


def test_different_seeds_differ() -> None:
    a = [r["text"] for r in generate(50, seed=1)]
    b = [r["text"] for r in generate(50, seed=2)]
    assert sum(x != y for x, y in zip(a, b)) > 45


def test_records_have_gold_format(batch: list[dict[str, Any]]) -> None:
    for rec in batch:
        assert set(rec) == {"id", "text", "channel", "intent", "phi", "insurance"}
        assert rec["intent"] in INTENTS and rec["channel"] in CHANNELS
        for s in rec["phi"] + rec["insurance"]:
            assert 0 <= s["start"] < s["end"] <= len(rec["text"])
    assert len({r["id"] for r in batch}) == len(batch)


def test_every_record_validates(batch: list[dict[str, Any]]) -> None:
    assert all(validate_record(r) == [] for r in batch)


def test_coverage_of_labels_intents_channels(batch: list[dict[str, Any]]) -> None:
    phi = {s["label"] for r in batch for s in r["phi"]}
    ins = {s["label"] for r in batch for s in r["insurance"]}
    assert phi == set(PHI_TYPES)
    assert ins == set(INSURANCE_TYPES)
    assert {r["intent"] for r in batch} == set(INTENTS)
    assert {r["channel"] for r in batch} == set(CHANNELS)


@pytest.mark.parametrize("label", PHI_TYPES)
def test_each_phi_type_is_frequent(batch: list[dict[str, Any]], label: str) -> None:
    share = sum(any(s["label"] == label for s in r["phi"]) for r in batch) / len(batch)
    assert share >= 0.03


def test_intents_are_balanced(batch: list[dict[str, Any]]) -> None:
    counts = [sum(r["intent"] == i for r in batch) for i in INTENTS]
    assert min(counts) > 0.7 * max(counts)


def test_offsets_are_exact_and_clean(batch: list[dict[str, Any]]) -> None:
    for rec in batch:
        for s in rec["phi"] + rec["insurance"]:
            piece = rec["text"][s["start"] : s["end"]]
            assert piece == piece.strip() and piece


_CUE_START = re.compile(r"^(mrn|dr\b|doctor|member|subscriber|policy|group|#|dob|ssn|claim|acct|account|fax|phone)", re.I)


def test_no_cue_words_or_titles_inside_spans(batch: list[dict[str, Any]]) -> None:
    for rec in batch:
        for s in rec["phi"] + rec["insurance"]:
            piece = rec["text"][s["start"] : s["end"]]
            assert not _CUE_START.match(piece), (rec["id"], s["label"])
            assert piece[-1] not in ".,;:!?", (rec["id"], s["label"])
            if s["label"] == "NAME":
                assert not re.search(r"\b(Dr|Mrs?|Ms|Doctor|Nurse)\b\.?\s", piece), rec["id"]


def test_no_overlaps(batch: list[dict[str, Any]]) -> None:
    for rec in batch:
        for key in ("phi", "insurance"):
            spans = sorted((s["start"], s["end"]) for s in rec[key])
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), rec["id"]


def test_hard_negatives_stay_unlabelled(batch: list[dict[str, Any]]) -> None:
    years = weekdays = 0
    for rec in batch:
        text = rec["text"]
        covered = {i for s in rec["phi"] for i in range(s["start"], s["end"])}
        for m in re.finditer(r"\bsince (19|20)\d\d\b", text):
            years += 1
            assert not covered & set(range(m.start() + 6, m.end()))
        for m in re.finditer(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday)s?\b", text):
            weekdays += 1
            assert not covered & set(range(m.start(), m.end())), rec["id"]
        for s in rec["phi"]:
            piece = text[s["start"] : s["end"]]
            assert not piece.startswith("$"), rec["id"]
            if s["label"] == "DATE":
                assert not re.fullmatch(r"(19|20)\d\d", piece)
            if s["label"] == "AGE_OVER_89" and piece.isdigit():
                assert int(piece) >= 90
    assert years > 5 and weekdays > 20


def test_paired_insurance_spans(batch: list[dict[str, Any]]) -> None:
    pairs = {"MEMBER_ID": "HEALTH_PLAN", "CLAIM_ID": "ACCOUNT", "AUTH_NUMBER": "ACCOUNT", "SUBSCRIBER_NAME": "NAME"}
    for rec in batch:
        phi = {(s["start"], s["end"], s["label"]) for s in rec["phi"]}
        for s in rec["insurance"]:
            if s["label"] in pairs:
                assert (s["start"], s["end"], pairs[s["label"]]) in phi


def test_long_messages_present(batch: list[dict[str, Any]]) -> None:
    share = sum(len(r["text"]) >= 1500 for r in batch) / len(batch)
    assert 0.02 <= share <= 0.12
    assert max(len(r["text"]) for r in batch) <= 4500


def test_speed() -> None:
    t = time.perf_counter()
    n = sum(1 for _ in generate(5000, seed=3))
    assert n == 5000 and time.perf_counter() - t < 30


def test_write_jsonl(tmp_path: Path) -> None:
    out = tmp_path / "d" / "train.jsonl"
    assert write_jsonl(out, 30, seed=4) == 30
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(x) for x in lines] == list(generate(30, seed=4))


def _good() -> dict[str, Any]:
    text = "Hi this is Ana Lopez, MRN 4471203, call 555-0142."
    return {
        "id": "t1",
        "text": text,
        "channel": "sms",
        "intent": "appointment_request",
        "phi": [
            {"start": 11, "end": 20, "label": "NAME"},
            {"start": 26, "end": 33, "label": "MRN"},
            {"start": 40, "end": 48, "label": "PHONE"},
        ],
        "insurance": [],
    }


def test_validate_accepts_good_record() -> None:
    assert validate_record(_good()) == []


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (lambda r: r["phi"].__setitem__(1, {"start": 22, "end": 33, "label": "MRN"}), "cue"),
        (lambda r: r["phi"].__setitem__(2, {"start": 40, "end": 49, "label": "PHONE"}), "punctuation"),
        (lambda r: r["phi"].__setitem__(0, {"start": 11, "end": 21, "label": "NAME"}), "punctuation"),
        (lambda r: r["phi"].append({"start": 15, "end": 25, "label": "NAME"}), "overlap"),
        (lambda r: r["phi"].__setitem__(0, {"start": 12, "end": 20, "label": "NAME"}), "inside a word"),
        (lambda r: r["phi"].__setitem__(0, {"start": 10, "end": 20, "label": "NAME"}), "whitespace"),
        (lambda r: r["phi"].__setitem__(0, {"start": 11, "end": 99, "label": "NAME"}), "out of range"),
        (lambda r: r["phi"].__setitem__(0, {"start": 11, "end": 20, "label": "PERSON"}), "unknown label"),
        (lambda r: r.__setitem__("intent", "other"), "unknown intent"),
        (lambda r: r["insurance"].append({"start": 26, "end": 33, "label": "MEMBER_ID"}), "paired"),
        (lambda r: r["insurance"].append({"start": 26, "end": 33, "label": "COPAY"}), "currency"),
        (lambda r: r["phi"][0].__setitem__("text", "Ana"), "text field"),
    ],
)
def test_validate_catches_violations(mutate: Any, expect: str) -> None:
    rec = copy.deepcopy(_good())
    mutate(rec)
    problems = validate_record(rec)
    assert any(expect in p for p in problems), problems


def test_validate_catches_title_and_year() -> None:
    text = "Seen by Dr. Okafor in 2019."
    rec = {
        "id": "t",
        "text": text,
        "channel": "portal",
        "intent": "existing_patient_question",
        "phi": [{"start": 8, "end": 18, "label": "NAME"}, {"start": 22, "end": 26, "label": "DATE"}],
        "insurance": [],
    }
    problems = validate_record(rec)
    assert any("title" in p or "cue" in p for p in problems)
    assert any("year alone" in p for p in problems)


def test_problems_never_contain_span_text() -> None:
    rec = copy.deepcopy(_good())
    rec["phi"][1] = {"start": 22, "end": 33, "label": "MRN"}
    assert all("4471203" not in p for p in validate_record(rec))


def test_generate_raises_on_invalid(monkeypatch: pytest.MonkeyPatch) -> None:
    from models.generator import core

    monkeypatch.setattr(core, "validate_record", lambda rec: ["bad"])
    with pytest.raises(IntakeflowError):
        next(core.generate(1, seed=0))


def test_check_digits() -> None:
    import random

    r = random.Random(0)
    for _ in range(200):
        num = re.sub(r"\D", "", ids.card_number(r))
        total = sum(int(c) if i % 2 == 0 else (2 * int(c) - 9 if int(c) > 4 else 2 * int(c)) for i, c in enumerate(reversed(num)))
        assert total % 10 == 0
        d = ids.dea(r)
        n = [int(c) for c in d[2:]]
        assert (n[0] + n[2] + n[4] + 2 * (n[1] + n[3] + n[5])) % 10 == n[6]
        assert len(ids.vin(r)) == 17
