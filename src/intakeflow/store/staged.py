"""Plain values the store hands out and takes back (no database imports here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from intakeflow.results import PipelineInput

#: Error codes that mean "this input is unusable": the message is quarantined at once.
#: Every other code is treated as transient and retried until ``max_attempts``.
QUARANTINE_CODES: frozenset[str] = frozenset(
    {"E001", "E002", "E003", "E004", "E005", "E006", "E020", "E021", "E022", "E023", "E024", "E025", "E031", "E032"}
)


def code_of(error_code: str | None) -> str:
    """``E031`` from ``E031`` or ``E031_FHIR_INVALID``."""
    return (error_code or "E007").split("_", 1)[0].split(":", 1)[0].strip()


@dataclass(frozen=True)
class StagedMessage:
    """A message row handed out by :meth:`Store.claim` or :meth:`Store.pending_writeback`.

    ``id`` is the database key; pass ``to_pipeline_input()`` to the pipeline and give the
    result back with the same StagedMessage. ``text`` is empty for write-back rows whose
    raw text was dropped (write-back only uses the redacted text).
    """

    id: int
    source: str
    source_id: str
    pipeline_version: str
    text: str
    channel: str | None = None
    patient_ref: str | None = None
    received_at: datetime | None = None
    attempts: int = 0
    meta: dict[str, Any] = field(default_factory=dict)

    def to_pipeline_input(self) -> PipelineInput:
        return PipelineInput(id=str(self.id), text=self.text, channel=self.channel, scope=self.patient_ref)


@dataclass(frozen=True)
class RunRef:
    """The DAG run behind a store write (both ``None`` outside Airflow: listener, CLI)."""

    dag_id: str | None = None
    run_id: str | None = None


@dataclass
class StageCounts:
    """Outcome of :meth:`Store.stage`: new rows, rows already there, quarantined inputs,
    inputs filtered by a rule (expected traffic without text)."""

    staged: int = 0
    duplicates: int = 0
    quarantined: int = 0
    filtered: int = 0

    @property
    def total(self) -> int:
        return self.staged + self.duplicates + self.quarantined + self.filtered

    def as_dict(self) -> dict[str, int]:
        return {"staged": self.staged, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "filtered": self.filtered}


@dataclass
class SaveCounts:
    """Outcome of :meth:`Store.save_results`. ``skipped``: rows no longer saveable
    (delivered meanwhile, or unknown id)."""

    processed: int = 0
    failed: int = 0
    quarantined: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "processed": self.processed,
            "failed": self.failed,
            "quarantined": self.quarantined,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class QueueAge:
    """What waits for processing from one source (:meth:`Store.queue_ages`): ``queued`` rows
    in status ``received``, ``in_hand`` of them claimed by a run (being processed, or left by
    a killed run until its claim lease ends), and the age in seconds of the oldest queued row
    and of the oldest unclaimed one (``None``: none). Counts and ages only, never text."""

    source: str
    queued: int
    in_hand: int
    oldest_s: float | None
    oldest_unclaimed_s: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "queued": self.queued, "in_hand": self.in_hand,
                "oldest_s": self.oldest_s, "oldest_unclaimed_s": self.oldest_unclaimed_s}


@dataclass(frozen=True)
class FhirWriteRecord:
    """One resource the write-back touched (``role``: source, derived, task, coverage, provenance)."""

    role: str
    resource_type: str
    status: str  # created | updated | unchanged | failed
    fhir_id: str | None = None
    version_id: str | None = None
    reason_code: str | None = None
