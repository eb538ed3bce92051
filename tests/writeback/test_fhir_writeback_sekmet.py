"""Write-back against the real embedded FHIR server (sekmet-fhir), twice: nothing new the second time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from intakeflow.embedded.fhir_server import EmbeddedFhirServer
from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.sources.fhir_client import FhirClient
from intakeflow.sources.fhir_source import iter_communications
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import StagedMessage
from intakeflow.writeback import resources as fr
from intakeflow.writeback.writer import FhirWriter, deliver_pending

pytestmark = pytest.mark.integration
pytest.importorskip("sekmet")

TYPES = ("Communication", "Task", "Coverage", "Provenance")


@pytest.fixture(scope="module")
def fhir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirClient]:
    server = EmbeddedFhirServer(Path(tmp_path_factory.mktemp("sekmet"))).start()
    try:
        with FhirClient(server.base_url) as client:
            yield client
    finally:
        server.stop()


def _count(client: FhirClient, rtype: str) -> int:
    return sum(1 for _ in client.search(rtype, [("_count", "100")]))


def _counts(client: FhirClient) -> dict[str, int]:
    return {t: _count(client, t) for t in TYPES}


def _result(staged: StagedMessage, intent: str) -> PipelineResult:
    return PipelineResult(
        id=str(staged.id), intent=intent, intent_confidence=0.7, needs_review=False, queue="triage-nurse",
        redacted_text="[NAME] reports a rash after the new medication", pipeline_version=staged.pipeline_version,
        insurance_json={"CARRIER": ["Acme Health"], "MEMBER_ID": ["ZZ0099"], "COPAY": [{"value": 20, "currency": "USD"}]},
    )


def test_writeback_twice_creates_nothing_new(fhir: FhirClient, store: Store) -> None:
    patient = fhir.request("POST", "Patient", json={"resourceType": "Patient", "active": True}).json()
    source = fhir.request("POST", "Communication", json={
        "resourceType": "Communication", "status": "completed", "subject": {"reference": f"Patient/{patient['id']}"},
        "payload": [{"contentString": "synthetic: rash since the new pills"}]}).json()
    now = datetime.now(UTC)
    inbound = list(iter_communications(fhir, now - timedelta(hours=1), now + timedelta(hours=1)))
    assert [m.source_id for m in inbound] == [source["id"]]
    hl7 = InboundMessage("hl7v2", "FAC|CTRL-9", "synthetic hl7 note", "hl7_note", "FAC|MR-5", now)
    store.stage([*inbound, hl7], "run-1")
    claimed = store.claim(10, "run-1:t")
    store.save_results([(m, _result(m, "clinical_concern")) for m in claimed])

    writer = FhirWriter(fhir)
    before = _counts(fhir)
    assert deliver_pending(store, writer, limit=10) == {"delivered": 2, "quarantined": 0, "failed": 0}
    after_first = _counts(fhir)
    # FHIR-sourced: derived Communication, Task, Coverage, Provenance; HL7: the same set
    assert {t: after_first[t] - before[t] for t in TYPES} == {"Communication": 2, "Task": 2, "Coverage": 2,
                                                              "Provenance": 2}
    updated = fhir.read("Communication", source["id"])
    assert updated["priority"] == "urgent"
    assert fr.intent_coding("clinical_concern")["code"] in str(updated["category"])
    assert updated["meta"]["versionId"] == "2"

    # second delivery of the very same results (e.g. the task re-ran): nothing new, source untouched
    for staged in claimed:
        outcome = writer.write(staged, _result(staged, "clinical_concern"))
        assert outcome.status == "written", outcome.error_code
        assert all(r.status == "unchanged" for r in outcome.records), outcome.records
    assert _counts(fhir) == after_first
    assert fhir.read("Communication", source["id"])["meta"]["versionId"] == "2"
    assert store.counts()["delivered"] == 2


def test_stale_version_conflict_is_retried(fhir: FhirClient, store: Store) -> None:
    source = fhir.request("POST", "Communication", json={
        "resourceType": "Communication", "status": "completed", "payload": [{"contentString": "synthetic"}]}).json()
    staged = StagedMessage(991, "fhir", source["id"], "v-conflict", "")
    writer = FhirWriter(fhir)
    real_read = fhir.read
    calls: list[int] = []

    def stale_then_fresh(rtype: str, rid: str) -> dict[str, object]:
        current = real_read(rtype, rid)
        calls.append(1)
        if len(calls) == 1:  # somebody else updates it right after our read
            fhir.request("PUT", f"{rtype}/{rid}", json={**current, "status": "in-progress"})
        return current

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fhir, "read", stale_then_fresh)
        outcome = writer.write(staged, _result(staged, "billing_inquiry"))
    assert outcome.status == "written", outcome.error
    assert len(calls) == 2
    final = fhir.read("Communication", source["id"])
    assert final["status"] == "in-progress" and final["meta"]["versionId"] == "3"
