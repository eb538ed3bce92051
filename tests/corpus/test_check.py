"""The corpus checker: each spec rule it enforces fires on a break and stays quiet otherwise."""

from __future__ import annotations

import pytest

from models.corpus.check import check_record
from models.corpus.markup import Marked, to_gold


def _problems(body: str, intent: str = "billing_inquiry", channel: str = "sms") -> list[str]:
    rec = to_gold(Marked(fields={"intent": intent, "channel": channel}, body=body, line=1), "t")
    return [rule for rule, _ in check_record(rec)]


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ("my MRN is [[MRN:MRN 8472301]]", "cue word"),
        ("saw [[NAME:Dr. Okafor]] today", "title inside NAME"),
        ("call me at [[PHONE:617-555-0101.]]", "trailing punctuation"),
        ("its [[NAME:Jane]] [[NAME:Doe]] here", "a full name is one NAME span"),
        ("I owe $[[BILLED_AMOUNT:35.00]] now", "currency sign"),
        ("I owe [[BILLED_AMOUNT:$35]].00 now", "cents"),
        ("seen on [[DATE:Tuesday 3/4]] ok", "weekday inside DATE"),
        ("moved to [[LOC:Texas]] last year", "a state or country alone"),
        ("she is [[AGE_OVER_89:87]] now", "AGE_OVER_89"),
        ("since [[DATE:2019]] ok", "year alone"),
        ("[[NAME:Iniko Adeleke]] here, Iniko again", "part of a tagged name is untagged"),
        ("id [[MRN:4471902]] and again 4471902", "untagged here"),
        ("mail me at ana.ruiz@example.org thanks", "untagged EMAIL"),
        ("call 617-555-0101 please", "untagged PHONE"),
        ("ssn 123-45-6789", "untagged SSN"),
        ("member [[MEMBER_ID:W1234]]", "missing paired PHI"),
    ],
)
def test_rule_breaks_are_found(body: str, rule: str) -> None:
    assert any(rule in p for p in _problems(body)), _problems(body)


@pytest.mark.parametrize(
    "body",
    [
        "hi its [[NAME:Iniko Adeleke]], [[NAME:Iniko]] again; MRN [[MRN:8472301]]",
        "Dr. [[NAME:Okafor]] at [[LOC:12 Main St\nBoston, MA 02118]] on [[DATE:3/4]]",
        "copay [[COPAY:$35.00]] and it's under my [[RELATIONSHIP:husband]]'s plan, [[CARRIER:Aetna]] [[PLAN_TYPE:PPO]]",
        "member id [[HEALTH_PLAN+MEMBER_ID:W 1234 55]], claim [[ACCOUNT+CLAIM_ID:CLM-0091]]",
        "spoken: [[PHONE:six one seven, five five five, oh one oh one]] and she is [[AGE_OVER_89:ninety two]]",
        "no phi here at all, since 2019 at 3pm on Tuesday",
    ],
)
def test_clean_records_pass(body: str) -> None:
    assert _problems(body) == []


def test_unknown_intent_and_channel() -> None:
    probs = _problems("hello", intent="gossip", channel="fax")
    assert "unknown intent" in probs and "unknown channel" in probs
