from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fhir_stub import Reply, StubServer

from intakeflow.results import InboundMessage, Quarantined
from intakeflow.sources.fhir_client import FhirClient, RetryPolicy
from intakeflow.sources.fhir_source import communication_to_inbound, is_derived, iter_communications


def _comm(cid: str = "c1", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "resourceType": "Communication",
        "id": cid,
        "meta": {"versionId": "3", "lastUpdated": "2024-03-05T10:00:00Z"},
        "status": "completed",
        "subject": {"reference": "Patient/p-77"},
        "sent": "2024-03-05T09:59:00Z",
        "payload": [{"contentString": "can I move my visit to friday"}],
    }
    base.update(extra)
    return base


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_content_string_message() -> None:
    out = communication_to_inbound(_comm())
    assert isinstance(out, InboundMessage)
    assert (out.source, out.source_id, out.patient_ref) == ("fhir", "c1", "Patient/p-77")
    assert out.text == "can I move my visit to friday"
    assert out.received_at == datetime(2024, 3, 5, 9, 59, tzinfo=UTC)
    assert out.meta["version_id"] == "3"


def test_text_attachment_inline_and_skipped_types() -> None:
    payload = [
        {"contentAttachment": {"contentType": "text/plain; charset=utf-8", "data": _b64("attached note")}},
        {"contentAttachment": {"contentType": "application/pdf", "data": _b64("%PDF")}},
        {"contentReference": {"reference": "DocumentReference/d1"}},
    ]
    out = communication_to_inbound(_comm(payload=payload))
    assert isinstance(out, InboundMessage)
    assert out.text == "attached note"
    skipped = out.meta["skipped"]
    assert [s["index"] for s in skipped] == [1, 2]
    assert all(s["code"] == "E033" for s in skipped)
    assert skipped[0]["content_type"] == "application/pdf"


def test_attachment_url_is_fetched_through_client(stub: StubServer) -> None:
    stub.route("/fhir/Binary/b1", Reply(200, raw=b"note from binary", headers={"Content-Type": "text/plain"}))
    payload = [{"contentAttachment": {"contentType": "text/plain", "url": f"{stub.base_url}/Binary/b1"}},
               {"contentAttachment": {"contentType": "text/plain", "url": "http://elsewhere.invalid/x"}}]
    with FhirClient(stub.base_url) as client:
        out = communication_to_inbound(_comm(payload=payload), client)
    assert isinstance(out, InboundMessage)
    assert out.text == "note from binary"
    assert [s["index"] for s in out.meta["skipped"]] == [1]


@pytest.mark.parametrize(
    ("resource", "code"),
    [
        (_comm(payload=[]), "E032"),
        (_comm(payload=[{"contentAttachment": {"contentType": "image/png", "data": _b64("png")}}]), "E032"),
        (_comm(payload=[{"contentString": "   "}]), "E032"),
        (_comm(sent="not a date"), "E031"),
        ({"resourceType": "Patient", "id": "x"}, "E031"),
        ({"resourceType": "Communication", "status": "completed"}, "E031"),
    ],
)
def test_unusable_communications_quarantine(resource: dict[str, Any], code: str) -> None:
    out = communication_to_inbound(resource)
    assert isinstance(out, Quarantined)
    assert out.reason_code == code


def test_channel_from_medium() -> None:
    medium = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode",
                           "code": "SMSWRIT"}]}]
    out = communication_to_inbound(_comm(medium=medium))
    assert isinstance(out, InboundMessage) and out.channel == "sms"
    plain = communication_to_inbound(_comm())
    assert isinstance(plain, InboundMessage) and plain.channel is None


def test_iter_communications_search_params_and_paging(stub: StubServer) -> None:
    page2 = f"{stub.base_url}/Communication?page=2"
    stub.route(
        "/fhir/Communication",
        Reply(200, {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": page2}],
                    "entry": [{"resource": _comm("c1")}, {"resource": _comm("c2", payload=[])}]}),
        Reply(200, {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": _comm("c3")}]}),
    )
    start, end = datetime(2024, 3, 5, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC)
    with FhirClient(stub.base_url, retry=RetryPolicy(max_attempts=1)) as client:
        out = list(iter_communications(client, start, end, categories=["notification"], page_size=2))
    assert [(type(o).__name__, o.source_id) for o in out] == [
        ("InboundMessage", "c1"), ("Quarantined", "c2"), ("InboundMessage", "c3")]
    query = parse_qsl(urlsplit(stub.seen[0].path).query)
    assert ("_lastUpdated", "ge2024-03-05T00:00:00Z") in query
    assert ("_lastUpdated", "lt2024-03-06T00:00:00Z") in query
    assert ("status", "completed") in query and ("category", "notification") in query
    assert ("_count", "2") in query


@pytest.mark.parametrize(
    ("identifiers", "derived"),
    [
        ([{"system": "https://intakeflow.dev/fhir/NamingSystem/derived-communication", "value": "k1"}], True),
        ([{"system": "urn:oid:1.2.3", "value": "x"}], False),
        ([], False),
        (None, False),
        (["not-a-dict"], False),
    ],
)
def test_redacted_copies_written_back_are_not_read_again(identifiers: Any, derived: bool) -> None:
    resource = {"resourceType": "Communication", "id": "c1", "status": "completed", "identifier": identifiers}
    assert is_derived(resource) is derived


def test_a_text_above_the_limit_is_quarantined_at_the_source() -> None:
    from intakeflow.results import MAX_TEXT_CHARS

    resource = {"resourceType": "Communication", "id": "big-1", "status": "completed",
                "payload": [{"contentString": "x" * (MAX_TEXT_CHARS + 1)}]}
    out = communication_to_inbound(resource)
    assert isinstance(out, Quarantined) and out.reason_code == "E002"
