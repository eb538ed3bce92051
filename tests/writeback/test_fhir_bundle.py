from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from intakeflow.errors import SinkError
from intakeflow.results import PipelineResult
from intakeflow.store.staged import StagedMessage
from intakeflow.writeback import resources as fr
from intakeflow.writeback.writer import _parse_location, _records, build_bundle

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _staged(source: str = "fhir", source_id: str = "c1", patient: str | None = "Patient/p1") -> StagedMessage:
    return StagedMessage(11, source, source_id, "v1", "", "portal", patient, NOW, 1, {})


def _result(intent: str = "billing_inquiry", insurance: dict[str, Any] | None = None) -> PipelineResult:
    return PipelineResult(id="11", intent=intent, intent_confidence=0.8, needs_review=True, queue="billing",
                          redacted_text="my [MEMBER_ID] bill", insurance_json=insurance or {}, pipeline_version="v1")


def _source(**extra: Any) -> dict[str, Any]:
    res = {"resourceType": "Communication", "id": "c1", "meta": {"versionId": "4"}, "status": "completed",
           "payload": [{"contentString": "original"}]}
    res.update(extra)
    return res


FULL_INSURANCE = {
    "CARRIER": ["Acme Health"], "MEMBER_ID": ["XQ1234567"], "GROUP_NUMBER": ["G-77"],
    "PLAN_TYPE": ["PPO"], "RELATIONSHIP": ["spouse"], "COPAY": [{"value": 35.0, "currency": "USD"}],
}


def _by_type(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in bundle["entry"]:
        out.setdefault(e["resource"]["resourceType"], []).append(e)
    return out


def test_fhir_sourced_bundle_updates_source_and_creates_derived() -> None:
    bundle = build_bundle(_staged(), _result(insurance=FULL_INSURANCE), _source(), recorded=NOW)
    assert bundle["type"] == "transaction"
    methods = [(e["request"]["method"], e["request"]["url"]) for e in bundle["entry"]]
    assert methods == [("PUT", "Communication/c1"), ("POST", "Communication"), ("POST", "Task"),
                       ("POST", "Coverage"), ("POST", "Provenance")]
    put = bundle["entry"][0]
    assert put["request"]["ifMatch"] == 'W/"4"'
    assert put["resource"]["category"][0]["coding"][0] == fr.intent_coding("billing_inquiry")
    assert "priority" not in put["resource"]
    derived = bundle["entry"][1]
    assert derived["request"]["ifNoneExist"].startswith(f"identifier={fr.DERIVED_ID_SYSTEM}|")
    assert derived["resource"]["about"] == [{"reference": "Communication/c1"}]
    assert derived["resource"]["payload"] == [{"contentString": "my [MEMBER_ID] bill"}]
    task = bundle["entry"][2]["resource"]
    assert task["focus"] == {"reference": "Communication/c1"} and task["code"]["text"] == "billing"
    cov = bundle["entry"][3]["resource"]
    assert cov["subscriberId"] == "XQ1234567" and cov["payor"] == [{"display": "Acme Health"}]
    assert {c["value"] for c in cov["class"]} == {"G-77", "PPO"}
    assert cov["relationship"]["coding"][0]["code"] == "spouse"
    assert cov["costToBeneficiary"][0]["valueMoney"] == {"value": 35.0, "currency": "USD"}
    prov = bundle["entry"][4]["resource"]
    assert {t["reference"] for t in prov["target"]} == {e["fullUrl"] for e in bundle["entry"][1:4]}
    assert prov["agent"][0]["who"]["display"] == "intakeflow v1"


def test_bundle_is_deterministic() -> None:
    a = build_bundle(_staged(), _result(), _source(), recorded=NOW)
    b = build_bundle(_staged(), _result(), _source(), recorded=NOW)
    assert a == b


def test_unchanged_source_is_not_updated_and_urgent_sets_priority() -> None:
    src = _source(category=[{"coding": [fr.intent_coding("clinical_concern")]}], priority="urgent")
    bundle = build_bundle(_staged(), _result("clinical_concern"), src, recorded=NOW)
    assert bundle["entry"][0]["request"]["method"] == "POST"
    changed = build_bundle(_staged(), _result("clinical_concern"), _source(), recorded=NOW)
    put = changed["entry"][0]["resource"]
    assert put["priority"] == "urgent"
    derived = _by_type(changed)["Communication"][1]["resource"]
    assert derived["priority"] == "urgent"


def test_old_intent_coding_is_replaced_not_appended() -> None:
    src = _source(category=[{"coding": [fr.intent_coding("complaint")]}, {"text": "keep me"}])
    put = build_bundle(_staged(), _result(), src, recorded=NOW)["entry"][0]["resource"]
    codes = [c.get("coding", [{}])[0].get("code") for c in put["category"]]
    assert codes == [None, "billing_inquiry"]


def test_hl7_sourced_bundle_has_no_source_update() -> None:
    staged = _staged(source="hl7v2", source_id="FAC|CTRL1", patient="FAC|MR-1")
    bundle = build_bundle(staged, _result(insurance=FULL_INSURANCE), None, recorded=NOW)
    types = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert types == ["Communication", "Task", "Coverage", "Provenance"]
    derived = bundle["entry"][0]["resource"]
    assert "about" not in derived
    assert {"system": fr.HL7_MESSAGE_SYSTEM, "value": "FAC|CTRL1"} in derived["identifier"]
    assert derived["subject"] == {"identifier": {"value": "MR-1", "assigner": {"display": "FAC"}}}
    assert bundle["entry"][1]["resource"]["focus"] == {"reference": bundle["entry"][0]["fullUrl"]}


@pytest.mark.parametrize(
    ("insurance", "patient", "has_coverage"),
    [
        (FULL_INSURANCE, "Patient/p1", True),
        ({"carrier": "Acme Health", "policy_number": "POL-9"}, "Patient/p1", True),
        ({"CARRIER": ["Acme Health"]}, "Patient/p1", False),
        ({"MEMBER_ID": ["X1"]}, "Patient/p1", False),
        (FULL_INSURANCE, None, False),
        ({}, "Patient/p1", False),
    ],
)
def test_coverage_needs_payer_member_and_patient(insurance: dict[str, Any], patient: str | None,
                                                 has_coverage: bool) -> None:
    bundle = build_bundle(_staged(patient=patient), _result(insurance=insurance), _source(), recorded=NOW)
    assert ("Coverage" in _by_type(bundle)) is has_coverage


def test_invalid_resource_raises_e031_not_crash() -> None:
    bad = _result(insurance={**FULL_INSURANCE, "RELATIONSHIP": [{"not": "a code"}]})
    bad.insurance_json["MEMBER_ID"] = ["X1"]
    # a non-string relationship is skipped; a broken source resource is a validation failure
    with pytest.raises(SinkError) as info:
        build_bundle(_staged(), bad, _source(sent="not a date"), recorded=NOW)
    assert info.value.code_id == "E031"
    assert "not a date" not in str(info.value)


def test_result_without_intent_is_e031() -> None:
    with pytest.raises(SinkError) as info:
        build_bundle(_staged(), PipelineResult(id="1", error_code="E007"), None)
    assert info.value.code_id == "E031"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("Communication/abc/_history/2", ("abc", "2")),
        ("http://h/fhir/Task/t-1/_history/1", ("t-1", "1")),
        ("Coverage/x", ("x", None)),
        ("", (None, None)),
    ],
)
def test_parse_location(location: str, expected: tuple[str | None, str | None]) -> None:
    assert _parse_location(location) == expected


def test_records_from_transaction_response() -> None:
    roles = [("derived", "Communication"), ("task", "Task")]
    response = {"entry": [{"response": {"status": "201 Created", "location": "Communication/a/_history/1"}},
                          {"response": {"status": "200 OK", "location": "Task/b/_history/3"}}]}
    recs = _records(roles, response)
    assert [(r.role, r.status, r.fhir_id, r.version_id) for r in recs] == [
        ("derived", "created", "a", "1"), ("task", "unchanged", "b", "3")]
    assert _records(roles, {"entry": []})[0].status == "unattributed"
