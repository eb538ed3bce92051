from __future__ import annotations

from typing import Any

import pytest
from fhir_stub import Reply, StubServer

from intakeflow.errors import SourceError
from intakeflow.sources.fhir_client import FhirAuth, FhirClient, RetryPolicy

CAPS = {"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"}


def _client(stub: StubServer, sleeps: list[float], **kwargs: Any) -> FhirClient:
    retry = RetryPolicy(max_attempts=4, backoff_base=0.01, max_backoff=0.05, max_retry_after=5)
    return FhirClient(stub.base_url, sleep=sleeps.append, retry=retry, **kwargs)


def test_capability_retries_500_then_succeeds(stub: StubServer) -> None:
    stub.route("/fhir/metadata", Reply(500, {}), Reply(503, {}), Reply(200, CAPS))
    sleeps: list[float] = []
    with _client(stub, sleeps) as client:
        assert client.capability()["fhirVersion"] == "4.0.1"
    assert len(stub.seen) == 3
    assert len(sleeps) == 2 and all(0 < s <= 0.05 for s in sleeps)


def test_429_honours_retry_after(stub: StubServer) -> None:
    stub.route("/fhir/metadata", Reply(429, {}, {"Retry-After": "2"}), Reply(200, CAPS))
    sleeps: list[float] = []
    with _client(stub, sleeps) as client:
        client.capability()
    assert sleeps == [2.0]


def test_retry_after_above_bound_is_not_waited_for(stub: StubServer) -> None:
    stub.route("/fhir/metadata", Reply(429, {}, {"Retry-After": "3600"}), Reply(200, CAPS))
    sleeps: list[float] = []
    with _client(stub, sleeps) as client, pytest.raises(SourceError) as info:
        client.capability()
    assert info.value.params["status"] == 429
    assert sleeps == []


def test_retries_are_bounded(stub: StubServer) -> None:
    stub.route("/fhir/metadata", Reply(502, {}))
    sleeps: list[float] = []
    with _client(stub, sleeps) as client, pytest.raises(SourceError) as info:
        client.capability()
    assert info.value.code_id == "E030"
    assert len(stub.seen) == 4 and len(sleeps) == 3


def test_4xx_is_not_retried_and_error_has_no_query(stub: StubServer) -> None:
    stub.route("/fhir/Communication", Reply(400, {"resourceType": "OperationOutcome"}))
    sleeps: list[float] = []
    with _client(stub, sleeps) as client, pytest.raises(SourceError) as info:
        list(client.search("Communication", [("subject", "Patient/SECRET123")]))
    assert len(stub.seen) == 1 and sleeps == []
    assert "SECRET123" not in str(info.value)
    assert "Communication" in str(info.value)


def test_unreachable_server_raises_e034() -> None:
    client = FhirClient("http://127.0.0.1:9/fhir", retry=RetryPolicy(max_attempts=2), sleep=lambda s: None)
    with client, pytest.raises(SourceError) as info:
        client.capability()
    assert info.value.code_id == "E034"


def test_metadata_must_be_a_capability_statement(stub: StubServer) -> None:
    stub.route("/fhir/metadata", Reply(200, {"resourceType": "Patient"}))
    with _client(stub, []) as client, pytest.raises(SourceError) as info:
        client.capability()
    assert info.value.code_id == "E036"


@pytest.mark.parametrize(
    ("auth", "expected"),
    [
        (FhirAuth(), None),
        (FhirAuth("bearer", token="tok-1"), "Bearer tok-1"),
        (FhirAuth("basic", username="u", password="p"), "Basic dTpw"),
    ],
)
def test_auth_headers(stub: StubServer, auth: FhirAuth, expected: str | None) -> None:
    stub.route("/fhir/metadata", Reply(200, CAPS))
    with _client(stub, [], auth=auth) as client:
        client.capability()
    assert stub.seen[0].headers.get("Authorization") == expected


def test_bearer_without_token_is_a_config_error() -> None:
    with pytest.raises(SourceError) as info:
        FhirClient("http://127.0.0.1:1/fhir", FhirAuth("bearer"))
    assert info.value.code_id == "E050"


def test_base_url_must_be_http() -> None:
    with pytest.raises(SourceError):
        FhirClient("ftp://example.invalid/fhir")


def test_search_follows_next_links_and_stops_on_repeat(stub: StubServer) -> None:
    page2 = f"{stub.base_url}/Communication?page=2"
    stub.route(
        "/fhir/Communication",
        Reply(200, {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": page2}],
                    "entry": [{"resource": {"resourceType": "Communication", "id": "a"}},
                              {"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}}]}),
        Reply(200, {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": page2}],
                    "entry": [{"resource": {"resourceType": "Communication", "id": "b"}}]}),
    )
    with _client(stub, []) as client:
        ids = [r["id"] for r in client.search("Communication", [("_count", "1")])]
    # page 2 repeats its own next link: paging stops instead of looping
    assert ids == ["a", "b"]
    assert [s.path for s in stub.seen] == ["/fhir/Communication?_count=1", "/fhir/Communication?page=2"]


def test_next_link_to_another_host_is_refused(stub: StubServer) -> None:
    stub.route(
        "/fhir/Communication",
        Reply(200, {"resourceType": "Bundle", "type": "searchset",
                    "link": [{"relation": "next", "url": "http://elsewhere.invalid/fhir/Communication?p=2"}]}),
    )
    with _client(stub, []) as client, pytest.raises(SourceError) as info:
        list(client.search("Communication"))
    assert info.value.code_id == "E036"
