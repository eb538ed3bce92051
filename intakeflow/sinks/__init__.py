"""Where results go: the PostgreSQL staging store and FHIR write-back."""

from __future__ import annotations

from intakeflow.sinks.fhir_writeback import FhirWriter, WriteOutcome, build_bundle, deliver_pending
from intakeflow.sinks.pg_reprocess import ReprocessCounts, ReprocessSelection
from intakeflow.sinks.pg_store import Store
from intakeflow.sinks.staged import FhirWriteRecord, RunRef, SaveCounts, StageCounts, StagedMessage

__all__ = [
    "FhirWriteRecord",
    "FhirWriter",
    "ReprocessCounts",
    "ReprocessSelection",
    "RunRef",
    "SaveCounts",
    "StageCounts",
    "StagedMessage",
    "Store",
    "WriteOutcome",
    "build_bundle",
    "deliver_pending",
]
