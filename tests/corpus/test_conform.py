"""The build's spec-conformance pass adds the spec's possessive RELATIONSHIP form, nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from models.corpus.conform import relationship_by_spec


def _rec(text: str, insurance: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"text": text, "insurance": list(insurance or [])}


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("I'm on my wife's plan since June", "wife"),
        ("I am covered by my parents' Kaiser insurance", "parents"),
        ("I get it through my stepdad's union coverage", "stepdad"),
        ("im on my husbands plan", "husbands"),
    ],
)
def test_possessive_relationship_is_added(text: str, word: str) -> None:
    rec = _rec(text)
    assert relationship_by_spec(rec) == 1
    (span,) = rec["insurance"]
    assert (text[span["start"] : span["end"]], span["label"]) == (word, "RELATIONSHIP")


@pytest.mark.parametrize(
    "text",
    [
        "my son's insurance card is attached",  # the patient's own plan: no subscriber named
        "my daughter's asthma action plan",  # a care plan
        "my parents plan to visit in May",  # a verb
        "I'm the policyholder on my wife's insurance",  # the writer holds the policy
        "my mom's appointment. Insurance is Aetna",  # another sentence
        "I think he's on my husband's plan",  # another patient: "husband" is no relation of his
    ],
)
def test_other_forms_are_left_alone(text: str) -> None:
    rec = _rec(text)
    assert relationship_by_spec(rec) == 0
    assert rec["insurance"] == []


def test_a_span_already_there_is_kept() -> None:
    text = "I'm on my dad's plan"
    s = text.index("dad")
    rec = _rec(text, [{"start": s, "end": s + 3, "label": "RELATIONSHIP", "text": "dad"}])
    assert relationship_by_spec(rec) == 0
    assert len(rec["insurance"]) == 1


def test_npi_spans_are_removed() -> None:
    from models.corpus.conform import npi_not_phi

    text = "Referring: Ada Oyelaran, MD, NPI 1234567893. Pt MRN 55120"
    s = text.index("1234567893")
    m = text.index("55120")
    rec: dict[str, Any] = {
        "text": text,
        "phi": [{"start": s, "end": s + 10, "label": "LICENSE"}, {"start": m, "end": m + 5, "label": "MRN"}],
    }
    assert npi_not_phi(rec) == 1
    assert [x["label"] for x in rec["phi"]] == ["MRN"]
