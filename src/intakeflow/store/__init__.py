"""The PostgreSQL staging store: versioned schema (``migrations/``), staging, claiming with a
lease, results, quarantine, reprocessing, run records; and ``processing``, the one claim ->
``Pipeline.process`` -> save loop over it."""

from __future__ import annotations

from intakeflow.store.pg_audit import AuditConflict, AuditedOutcome, AuditEntry
from intakeflow.store.pg_reprocess import ReprocessCounts, ReprocessSelection
from intakeflow.store.pg_store import Store
from intakeflow.store.staged import FhirWriteRecord, QueueAge, RunRef, SaveCounts, StageCounts, StagedMessage

__all__ = [
    "AuditConflict",
    "AuditEntry",
    "AuditedOutcome",
    "FhirWriteRecord",
    "QueueAge",
    "ReprocessCounts",
    "ReprocessSelection",
    "RunRef",
    "SaveCounts",
    "StageCounts",
    "StagedMessage",
    "Store",
]
