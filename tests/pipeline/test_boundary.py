from __future__ import annotations

import pytest

from intakeflow.pipeline.boundary import repair
from intakeflow.spans import Span


def fix(text: str, piece: str, label: str) -> list[str]:
    start = text.index(piece)
    out = repair(text, [Span(start, start + len(piece), label)])
    return [text[s.start : s.end] for s in out]


@pytest.mark.parametrize(
    ("text", "piece", "label", "expected"),
    [
        ("seen by Dr. Okafor today", "Dr. Okafor", "NAME", "Okafor"),
        ("Mrs. Jane Doe called", "Mrs. Jane Doe", "NAME", "Jane Doe"),
        ("ask Doctor Reyes", "Doctor Reyes", "NAME", "Reyes"),
        ("this is Kenji W. thanks", "Kenji W.", "NAME", "Kenji W"),
        ("my MRN 8472301.", "MRN 8472301.", "MRN", "8472301"),
        ("member id: W12345 ok", "member id: W12345", "HEALTH_PLAN", "W12345"),
        ("ID: W12345 ok", "ID: W12345", "MEMBER_ID", "W12345"),
        ("account # 55012,", "# 55012,", "ACCOUNT", "55012"),
        ("number 55012", "number 55012", "ACCOUNT", "55012"),
        ("come on the 22nd.", "on the 22nd.", "DATE", "22nd"),
        ("call (617) 555-1234.", " (617) 555-1234.", "PHONE", "(617) 555-1234"),
        ("see portal.example.org/pay).", "portal.example.org/pay)", "URL", "portal.example.org/pay"),
        ("member ID 8803 4471 902, group", "8803 4471", "HEALTH_PLAN", "8803 4471 902"),
        ("policy A M B 7 7 2 0 1 9 3. Call", "A M B 7 7", "POLICY_NUMBER", "A M B 7 7 2 0 1 9 3"),
        ("DL K553-7720-9614, plate", "7720-96", "LICENSE", "K553-7720-9614"),
        ("claim CLM-88412 denied", "M-884", "CLAIM_ID", "CLM-88412"),
        ("  Boston  ", "  Boston  ", "LOC", "Boston"),
        ("she lives in Austin, TX", "in Austin", "LOC", "Austin"),
    ],
)
def test_repair(text: str, piece: str, label: str, expected: str) -> None:
    assert fix(text, piece, label) == [expected]


@pytest.mark.parametrize(
    ("text", "piece", "label"),
    [
        ("MRN pending", "MRN ", "MRN"),
        ("see Dr. soon", "Dr.", "NAME"),
        ("hello ...", "...", "NAME"),
    ],
)
def test_repair_removes_empty(text: str, piece: str, label: str) -> None:
    assert fix(text, piece, label) == []


@pytest.mark.parametrize(
    ("text", "piece", "label", "expected"),
    [
        ("MRN 8472301 5 days ago", "8472301", "MRN", "8472301"),  # a count, not a group
        ("Jane met Bob at 5", "Jane", "NAME", "Jane"),  # names never grow
        ("on 3/14 at 2", "3/14", "DATE", "3/14"),
        ("Amy's chart", "Amy", "NAME", "Amy"),
        ("An Nguyen called", "An Nguyen", "NAME", "An Nguyen"),
        ("On the 3rd", "On the 3rd", "DATE", "3rd"),
        ("take 2.5 mg", "2.5", "DATE", "2.5"),  # linguistic types do not grow to the token
    ],
)
def test_repair_does_not_overreach(text: str, piece: str, label: str, expected: str) -> None:
    assert fix(text, piece, label) == [expected]


def test_repair_resolves_overlaps_and_sorts() -> None:
    text = "Dr. Ana Lima, MRN 44120"
    spans = [Span(14, 23, "MRN", score=0.8), Span(0, 12, "NAME", score=0.9), Span(4, 7, "NAME", score=0.5)]
    out = repair(text, spans)
    assert [(text[s.start : s.end], s.label) for s in out] == [("Ana Lima", "NAME"), ("44120", "MRN")]


def test_repair_clamps_out_of_range() -> None:
    assert [s.key() for s in repair("abc 123", [Span(4, 99, "MRN")])] == [(4, 7, "MRN")]
