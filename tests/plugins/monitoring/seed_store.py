"""A store with a known mix of results from three DAGs and the MLLP listener, for the
monitoring tests: every state an input can be in (filtered, queued, processed, delivered,
quarantined at staging and by the pipeline, failed) occurs at least once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from intakeflow.results import Filtered, InboundMessage, PipelineResult, Quarantined
from intakeflow.spans import Span
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import RunRef, StagedMessage

DAG_A, RUN_A = "hl7_archive_intake", "scheduled__2024-03-01T00:00:00+00:00"
DAG_B, RUN_B = "fhir_communication_intake", "scheduled__2024-03-01T00:00:00+00:00"  # same run id, other DAG
DAG_LIVE, RUN_LIVE = "hl7_live_intake", "scheduled__2024-03-01T00:05:00+00:00"
#: the pipeline version of every row; a model folder of this name and version makes the CLI count them
MODEL_NAME, MODEL_VERSION = "mon", "1"
PIPELINE_VERSION = f"{MODEL_NAME}@{MODEL_VERSION}"
#: marker that must never reach a page: it is the message text
TEXT_MARK = "Synthetic-Patient-Zed"
#: where each input is now, per source (see ``seed``); received is their sum
EXPECTED_CHANNELS: dict[str, dict[str, int]] = {
    "fhir": {"filtered": 0, "queued": 0, "processed": 3, "delivered": 0, "quarantined": 0, "failed": 1},
    "hl7v2": {"filtered": 1, "queued": 0, "processed": 2, "delivered": 2, "quarantined": 2, "failed": 0},
    "mllp": {"filtered": 0, "queued": 1, "processed": 1, "delivered": 0, "quarantined": 0, "failed": 0},
}
#: what DAG A's record_run stored: write-back skipped (its ``write_back`` param is false)
RUN_A_STATS = {
    "stage": {"files": 1, "staged": 5, "duplicates": 0, "quarantined": 1, "filtered": 1},
    "process": {"claimed": 5, "processed": 4, "failed": 0, "quarantined": 1, "skipped": 0, "batches": 1,
                "needs_review": 2, "fallback_calls": 1, "fallback_microusd": 2000,
                "intents": {"appointment_request": 2, "billing_inquiry": 2}, "errors": {"E001": 1}},
    "write_back": {},
}


@dataclass(frozen=True)
class Seeded:
    store: Store
    started: datetime
    #: DAG A's processed messages that DAG B's write-back delivered
    delivered_by_b: tuple[int, ...] = ()


def _messages(source: str, prefix: str, n: int) -> list[InboundMessage]:
    return [InboundMessage(source, f"{prefix}{i}", f"{TEXT_MARK} note {i} about a bill", channel="note")
            for i in range(n)]


def _result(staged: StagedMessage, i: int) -> PipelineResult:
    if i == 4:  # unusable input: quarantined at once
        return PipelineResult(id=str(staged.id), error_code="E001", error="E001: message text is empty or whitespace only",
                              timings_ms={"model": 1.0})
    if i == 5:  # a passing failure: retried by the next run
        return PipelineResult(id=str(staged.id), error_code="E007", error="E007: internal error while processing the "
                              "message (TimeoutError)", timings_ms={"model": 1.0})
    return PipelineResult(
        id=str(staged.id), intent="billing_inquiry" if i % 2 else "appointment_request", intent_confidence=0.8,
        needs_review=i < 2, queue="billing", phi=[Span(0, 9, "NAME"), Span(10, 14, "DATE")],
        insurance=[Span(15, 19, "CARRIER")] if i == 0 else [], redacted_text="[NAME] [DATE] note",
        timings_ms={"model": 2.0, "validate": 1.0 + i}, fallback_calls=1 if i == 0 else 0,
        fallback_usd=0.002 if i == 0 else 0.0, pipeline_version=PIPELINE_VERSION,
    )


def seed(pg_dsn: str, store_schema: str) -> Seeded:
    """DAG A staged 5 messages (4 processed, 1 quarantined E001), rejected 1 unparseable input
    at staging (E020) and filtered 1 ADT message; DAG B staged 4 (3 processed, 1 failed E007)
    and its write-back then delivered 2 of DAG A's processed messages; the MLLP listener
    staged 2, of which the live DAG processed 1 (the other is queued)."""
    started = datetime.now(UTC)
    store = Store(pg_dsn, schema=store_schema, pipeline_version=PIPELINE_VERSION)
    store.migrate()
    bad = Quarantined("hl7v2", "file:day/1.hl7", "E020", "E020: HL7 v2 message could not be parsed (no MSH)", {})
    adt = Filtered("hl7v2", "file:day/2.hl7#1", "adt-without-text", {})
    store.stage([*_messages("hl7v2", "A", 5), bad, adt], RUN_A, DAG_A)
    store.stage([*_messages("fhir", "B", 3), InboundMessage("fhir", "B-timeout", f"{TEXT_MARK} slow", channel="note")],
                RUN_B, DAG_B)
    for run, sources in ((RunRef(DAG_A, RUN_A), ["hl7v2"]), (RunRef(DAG_B, RUN_B), ["fhir"])):
        batch = store.claim(10, f"{run.run_id}:process:-1", sources)
        # fhir's fourth message (i == 3) fails instead of being processed
        store.save_results([(m, _result(m, 5 if (sources == ["fhir"] and i == 3) else i)) for i, m in enumerate(batch)],
                           run)
    store.record_run(RUN_A, DAG_A, RUN_A_STATS, {"process.model": 10.0})
    # DAG B's write-back takes every processed message, DAG A's too: two of them here
    pending = [m.id for m, _ in store.pending_writeback(10, ["hl7v2"])][:2]
    store.mark_delivered(pending)
    # the listener staged 2 (no DAG); the live DAG has processed 1 of them so far
    store.stage(_messages("mllp", "L", 2), "mllp")
    live = RunRef(DAG_LIVE, RUN_LIVE)
    (first, *_) = store.claim(1, "live:process:-1", ["mllp"])
    store.save_results([(first, _result(first, 1))], live)
    return Seeded(store, started, tuple(pending))
