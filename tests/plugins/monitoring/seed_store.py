"""A store with a known mix of results from two DAGs, for the monitoring tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from intakeflow.results import InboundMessage, PipelineResult, Quarantined
from intakeflow.spans import Span
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import RunRef, StagedMessage

DAG_A, RUN_A = "hl7_archive_intake", "scheduled__2024-03-01T00:00:00+00:00"
DAG_B, RUN_B = "fhir_communication_intake", "scheduled__2024-03-01T00:00:00+00:00"  # same run id, other DAG
DAG_LIVE, RUN_LIVE = "hl7_live_intake", "scheduled__2024-03-01T00:05:00+00:00"
#: marker that must never reach a page: it is the message text
TEXT_MARK = "Synthetic-Patient-Zed"


@dataclass(frozen=True)
class Seeded:
    store: Store
    started: datetime


def _messages(source: str, prefix: str, n: int) -> list[InboundMessage]:
    return [InboundMessage(source, f"{prefix}{i}", f"{TEXT_MARK} note {i} about a bill", channel="note")
            for i in range(n)]


def _result(staged: StagedMessage, i: int) -> PipelineResult:
    if i == 4:  # unusable input: quarantined at once
        return PipelineResult(id=str(staged.id), error_code="E001", error="E001: message text is empty or whitespace only",
                              timings_ms={"model": 1.0})
    return PipelineResult(
        id=str(staged.id), intent="billing_inquiry" if i % 2 else "appointment_request", intent_confidence=0.8,
        needs_review=i < 2, queue="billing", phi=[Span(0, 9, "NAME"), Span(10, 14, "DATE")],
        insurance=[Span(15, 19, "CARRIER")] if i == 0 else [], redacted_text="[NAME] [DATE] note",
        timings_ms={"model": 2.0, "validate": 1.0 + i}, fallback_calls=1 if i == 0 else 0,
        fallback_usd=0.002 if i == 0 else 0.0, pipeline_version="mon-1",
    )


def seed(pg_dsn: str, store_schema: str) -> Seeded:
    """DAG A staged 5 messages (4 processed, 1 quarantined E001) and 1 unparseable input
    (E020); DAG B staged and processed 3; the MLLP listener staged 2, of which the live DAG
    processed 1."""
    started = datetime.now(UTC)
    store = Store(pg_dsn, schema=store_schema, pipeline_version="mon-1")
    store.migrate()
    bad = Quarantined("hl7v2", "file:day/1.hl7", "E020", "E020: HL7 v2 message could not be parsed (no MSH)", {})
    store.stage([*_messages("hl7v2", "A", 5), bad], RUN_A, DAG_A)
    store.stage(_messages("fhir", "B", 3), RUN_B, DAG_B)
    for run, sources in ((RunRef(DAG_A, RUN_A), ["hl7v2"]), (RunRef(DAG_B, RUN_B), ["fhir"])):
        batch = store.claim(10, f"{run.run_id}:process:-1", sources)
        store.save_results([(m, _result(m, i)) for i, m in enumerate(batch)], run)
    # the listener staged 2 (no DAG); the live DAG has processed 1 of them so far
    store.stage(_messages("mllp", "L", 2), "mllp")
    live = RunRef(DAG_LIVE, RUN_LIVE)
    (first, *_) = store.claim(1, "live:process:-1", ["mllp"])
    store.save_results([(first, _result(first, 1))], live)
    return Seeded(store, started)
