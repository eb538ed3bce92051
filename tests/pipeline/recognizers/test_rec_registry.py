from __future__ import annotations

import re

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS, VERSIONS, benchmark, detect, resolve, run_recognizers
from intakeflow.pipeline.recognizers.base import VALIDATED_SCORE, Detection
from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer
from intakeflow.pipeline.recognizers.cue_index import find_cues
from intakeflow.pipeline.recognizers.cues import IDENTIFIER_CUES
from intakeflow.spans import check_spans
from intakeflow.spec import INSURANCE_TYPES, PHI_TYPES

MESSAGE = (
    "Hi, this is a test. DOB 04/12/1961, MRN 8472301, member ID W123456789 group 40021877. "
    "SSN 234-56-7890. Call (617) 555-0142 or fax 617-555-0199. Email a.b@example.com, "
    "portal.example.org/pay. Card 4111 1111 1111 1111. Claim CLM-88412, prior auth PA7712-S. "
    "Photo IMG_0042.jpg. My mom is 94."
)


def test_registry_constants() -> None:
    assert set(ALL_RECOGNIZERS) == set(VERSIONS)
    for name, rec in ALL_RECOGNIZERS.items():
        assert rec.NAME == name
        assert re.fullmatch(r"\d+\.\d+\.\d+", rec.VERSION)
        assert rec.PATTERNS and all(isinstance(p, re.Pattern) for p in rec.PATTERNS)
        assert rec.CONTEXT and all(c == c.lower() for c in rec.CONTEXT)


def test_cue_recognizers_read_context_from_cue_table() -> None:
    for rec in ALL_RECOGNIZERS.values():
        if isinstance(rec, CueAnchoredRecognizer):
            assert rec.CONTEXT == IDENTIFIER_CUES[rec.CUE_LABEL]


def test_cue_table_shape() -> None:
    needed = {"MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "DEVICE", "BIOMETRIC", "PHOTO_REF", "SSN", "VEHICLE"}
    needed |= {"MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER", "CLAIM_ID", "AUTH_NUMBER"}
    assert needed <= set(IDENTIFIER_CUES)
    for label, phrases in IDENTIFIER_CUES.items():
        assert label in PHI_TYPES or label in INSURANCE_TYPES
        assert phrases and all(p == p.lower() and p.strip() == p for p in phrases)


def test_cue_index_prefers_longest_phrase() -> None:
    hits = find_cues("patient ID# 4471 and claim number 55 and Driver's-License x")
    assert [h.phrase for h in hits] == ["patient id", "claim number", "drivers license"]
    assert "MRN" in hits[0].labels and "MEMBER_ID" not in hits[0].labels


def test_run_recognizers_answers_follow_span_rules() -> None:
    phi, ins = run_recognizers(MESSAGE)
    assert check_spans(MESSAGE, phi, PHI_TYPES) == []
    assert check_spans(MESSAGE, ins, INSURANCE_TYPES) == []
    got = {(MESSAGE[s.start : s.end], s.label) for s in phi}
    expected = {
        ("04/12/1961", "DATE"), ("8472301", "MRN"), ("W123456789", "HEALTH_PLAN"),
        ("40021877", "HEALTH_PLAN"), ("234-56-7890", "SSN"), ("(617) 555-0142", "PHONE"),
        ("617-555-0199", "FAX"), ("a.b@example.com", "EMAIL"), ("portal.example.org/pay", "URL"),
        ("4111 1111 1111 1111", "ACCOUNT"), ("CLM-88412", "ACCOUNT"), ("PA7712-S", "ACCOUNT"),
        ("IMG_0042.jpg", "PHOTO_REF"), ("94", "AGE_OVER_89"),
    }  # fmt: skip
    assert got == expected
    assert {(MESSAGE[s.start : s.end], s.label) for s in ins} == {
        ("W123456789", "MEMBER_ID"), ("40021877", "GROUP_NUMBER"), ("CLM-88412", "CLAIM_ID"),
        ("PA7712-S", "AUTH_NUMBER"),
    }  # fmt: skip


def test_validated_score_convention() -> None:
    for d in detect(MESSAGE):
        assert (d.score >= VALIDATED_SCORE) == d.validated


def test_resolve_prefers_validated_then_longer_then_score() -> None:
    a = Detection(0, 10, "ACCOUNT", None, 0.85, "cue", False)
    b = Detection(2, 6, "SSN", None, 1.0, "ssn", True)
    c = Detection(8, 20, "MRN", None, 0.85, "cue", False)
    d = Detection(12, 14, "MRN", None, 0.9, "cue", False)
    assert resolve([a, b, c, d]) == [b, c]


def test_empty_and_plain_text() -> None:
    assert run_recognizers("") == ([], [])
    assert run_recognizers("I have a headache since yesterday, can someone call me?") == ([], [])


def test_benchmark_under_budget() -> None:
    texts = [MESSAGE[:300], MESSAGE[100:400], "no identifiers here at all " * 10] * 67
    stats = benchmark(texts)
    assert stats["n"] == len(texts)
    # Target is < 1 ms a message; allow slow CI machines plenty of room.
    assert stats["mean_ms"] < 5.0


CLINICAL_NEGATIVES = [
    "Took 500 mg ibuprofen at 8:30 and 2 tabs of 325mg acetaminophen.",
    "A1c 7.2, LDL 130, BP 142/90, HR 88, temp 99.1 this morning.",
    "CPT 99213 and 93000 were on the visit summary, ICD-10 E11.9.",
    "I'm 45 and have had 3 kids, pain 7/10 since Tuesday.",
    "Rated 4/5 stars, version 2.3.1 of the app keeps crashing.",
    "Room 204 on the 3rd floor, copay was $35 and deductible $1,500.",
    "My claim was denied twice and the account portal is down.",
    "Please refill my 90 day supply, dose went from 25 to 50 mcg in 2019.",
    "BMI 31.4, weight 212 lbs, call between 9 and 5.",
    "Auth required for 12 PT visits; my policy covers 80%.",
    "I have 2 questions about my 3 prescriptions from last year.",
    "Group therapy meets Mondays at 10, the serial number is on the box.",
]


def test_clinical_text_without_identifiers_yields_nothing() -> None:
    for text in CLINICAL_NEGATIVES:
        assert run_recognizers(text) == ([], []), CLINICAL_NEGATIVES.index(text)


def test_validator_spans_are_already_repaired() -> None:
    from intakeflow.pipeline.boundary import repair

    phi, ins = run_recognizers(MESSAGE)
    assert repair(MESSAGE, phi) == phi
    assert repair(MESSAGE, ins) == ins
