from __future__ import annotations

import json
import re

import pytest

from intakeflow.errors import InputError
from intakeflow.pipeline.insurance import amount, normalise, plan_type_code, relationship_code
from intakeflow.pipeline.payers import canonical_payer
from intakeflow.spans import Span


def spans_for(text: str, marks: list[tuple[str, str]]) -> list[Span]:
    """Spans for (piece, label) pairs, each piece found after the previous one."""
    out, pos = [], 0
    for piece, label in marks:
        m = re.compile(re.escape(piece)).search(text, pos)
        assert m, piece
        out.append(Span(m.start(), m.end(), label))
        pos = m.end()
    return out


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("Aetna", "Aetna"),
        ("BCBS TX", "Blue Cross Blue Shield of Texas"),
        ("Blue Cross Blue Shield of Texas", "Blue Cross Blue Shield of Texas"),
        ("BlueCross BlueShield of Vermont", "Blue Cross Blue Shield of Vermont"),
        ("Blue Cross & Blue Shield of Rhode Island", "Blue Cross Blue Shield of Rhode Island"),
        ("blue cross", "Blue Cross Blue Shield"),
        ("UHC", "UnitedHealthcare"),
        ("United Health Care", "UnitedHealthcare"),
        ("United", "UnitedHealthcare"),
        ("kaiser", "Kaiser Permanente"),
        ("Anthem Blue Cross", "Anthem"),
        ("Elevance Health", "Anthem"),
        ("Tri-Care", "TRICARE"),
        ("Cigna insurance", "Cigna"),
        ("Blue Shield of California", "Blue Shield of California"),
        ("Highmark BCBS", "Highmark"),
    ],
)
def test_canonical_payer(name: str, canonical: str) -> None:
    assert canonical_payer(name) == canonical


@pytest.mark.parametrize("name", ["Zentravia Mutual", "Blue Cross of Narnia", "", "   "])
def test_unknown_payer(name: str) -> None:
    assert canonical_payer(name) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [("PPO", "PPO"), ("epo", "EPO"), ("Point of Service", "POS"), ("high-deductible", "HDHP"),
     ("Medicare Advantage", "MEDICARE ADVANTAGE"), ("Medigap", "MEDIGAP"), ("HMO plan", "HMO"),
     ("Gold Saver 3000", "Gold Saver 3000")],
)  # fmt: skip
def test_plan_type_code(text: str, code: str) -> None:
    assert plan_type_code(text) == code


@pytest.mark.parametrize(
    ("text", "word", "code"),
    [
        ("my husband's plan", "husband", "spouse"),
        ("on as her wife", "wife", "spouse"),
        ("my domestic partner carries it", "domestic partner", "common"),
        ("relationship to subscriber: self", "self", "self"),
        ("I'm the dependent", "dependent", "child"),
        ("still on my mom's plan", "mom", "child"),
        ("insured through my father", "father", "child"),
        ("subscriber Quade Merrow (father)", "father", "child"),
        ("my dad is the policy holder", "dad", "child"),
        ("my son is on my plan", "son", "child"),
        ("Relationship to subscriber: daughter", "daughter", "child"),
        ("I'm covered on my daughter's plan", "daughter", "parent"),
        ("I'm the injured party", "injured party", "injured"),
        ("my grandmother's plan", "grandmother", "other"),
    ],
)
def test_relationship(text: str, word: str, code: str) -> None:
    i = text.index(word)
    assert relationship_code(text, i, i + len(word)) == code


@pytest.mark.parametrize(
    ("text", "value"),
    [("$1,250.00", 1250.0), ("$35", 35.0), ("35 dollars", 35.0), ("three hundred twelve dollars", 312.0),
     ("forty-five hundred", 4500.0), ("$82.5", 82.5)],
)  # fmt: skip
def test_amount(text: str, value: float) -> None:
    assert amount(text) == {"value": value, "currency": "USD"}


def test_unreadable_amount_keeps_raw() -> None:
    assert amount("a lot") == {"value": None, "currency": None, "raw": "a lot"}


def test_single_plan_with_all_fields() -> None:
    text = (
        "Ins: UHC PPO, member ID ZX 4410 2291, group 88120, subscriber Ilse Varnhold (wife). "
        "Claim CL-5512 shows $240.50 owed; copay $40, deductible $1,500."
    )
    marks = [("UHC", "CARRIER"), ("PPO", "PLAN_TYPE"), ("ZX 4410 2291", "MEMBER_ID"), ("88120", "GROUP_NUMBER"),
             ("Ilse Varnhold", "SUBSCRIBER_NAME"), ("wife", "RELATIONSHIP"), ("CL-5512", "CLAIM_ID"),
             ("$240.50", "BILLED_AMOUNT"), ("$40", "COPAY"), ("$1,500", "DEDUCTIBLE")]  # fmt: skip
    out = normalise(text, spans_for(text, marks))
    assert out["plans"] == [
        {"carrier": "UnitedHealthcare", "plan_type": "PPO", "member_id": "ZX44102291", "group_number": "88120",
         "policy_number": None, "subscriber_name": "Ilse Varnhold", "relationship": "spouse"}
    ]  # fmt: skip
    assert out["claims"] == ["CL-5512"] and out["auth_numbers"] == []
    assert out["billed_amounts"] == [{"value": 240.5, "currency": "USD"}]
    assert out["copays"] == [{"value": 40.0, "currency": "USD"}]
    assert out["deductibles"] == [{"value": 1500.0, "currency": "USD"}]
    json.dumps(out)  # plain JSON types only


def test_two_carriers_two_plans_and_fields_before_first_carrier() -> None:
    text = "HMO through Cigna, id QQ1; secondary is Humana id RR2, group G7. Cigna again."
    marks = [("HMO", "PLAN_TYPE"), ("Cigna", "CARRIER"), ("QQ1", "MEMBER_ID"), ("Humana", "CARRIER"),
             ("RR2", "MEMBER_ID"), ("G7", "GROUP_NUMBER"), ("Cigna", "CARRIER")]  # fmt: skip
    plans = normalise(text, spans_for(text, marks))["plans"]
    assert [(p["carrier"], p["plan_type"], p["member_id"], p["group_number"]) for p in plans] == [
        ("Cigna", "HMO", "QQ1", None),
        ("Humana", None, "RR2", "G7"),
    ]


def test_repeated_carrier_reuses_plan() -> None:
    text = "Aetna. member A11. my aetna group is G22"
    marks = [("Aetna", "CARRIER"), ("A11", "MEMBER_ID"), ("aetna", "CARRIER"), ("G22", "GROUP_NUMBER")]
    plans = normalise(text, spans_for(text, marks))["plans"]
    assert len(plans) == 1 and plans[0]["member_id"] == "A11" and plans[0]["group_number"] == "G22"


def test_conflicting_field_without_carrier_starts_new_plan() -> None:
    text = "primary member id P100, secondary member id S200"
    plans = normalise(text, spans_for(text, [("P100", "MEMBER_ID"), ("S200", "MEMBER_ID")]))["plans"]
    assert [p["member_id"] for p in plans] == ["P100", "S200"]
    assert all(p["carrier"] is None for p in plans)


def test_same_carrier_named_again_with_new_id_keeps_carrier() -> None:
    text = "Aetna id A1, and my other Aetna id A2"
    marks = [("Aetna", "CARRIER"), ("A1", "MEMBER_ID"), ("Aetna", "CARRIER"), ("A2", "MEMBER_ID")]
    plans = normalise(text, spans_for(text, marks))["plans"]
    assert [(p["carrier"], p["member_id"]) for p in plans] == [("Aetna", "A1"), ("Aetna", "A2")]


def test_repeats_are_listed_once_and_unknown_carrier_kept() -> None:
    text = "Zentravia Mutual claim 77-1 and claim 77-1 again, claim 78-2"
    marks = [("Zentravia Mutual", "CARRIER"), ("77-1", "CLAIM_ID"), ("77-1", "CLAIM_ID"), ("78-2", "CLAIM_ID")]
    out = normalise(text, spans_for(text, marks))
    assert out["claims"] == ["77-1", "78-2"]
    assert out["plans"][0]["carrier"] == "Zentravia Mutual"


def test_empty() -> None:
    assert normalise("nothing here", []) == {
        "plans": [], "claims": [], "auth_numbers": [], "copays": [], "deductibles": [], "billed_amounts": []
    }  # fmt: skip


@pytest.mark.parametrize("bad", [Span(0, 99, "CARRIER"), Span(0, 3, "NAME")])
def test_bad_span_raises_e075(bad: Span) -> None:
    with pytest.raises(InputError) as err:
        normalise("some text", [bad])
    assert err.value.code_id == "E075"
