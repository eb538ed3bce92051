"""FHIR write-back: one transaction Bundle per processed message (``writer``), its resources
built and validated with ``fhir.resources`` R4B (``resources``)."""

from __future__ import annotations

from intakeflow.writeback.writer import FhirWriter, WriteOutcome, build_bundle, deliver_pending

__all__ = ["FhirWriter", "WriteOutcome", "build_bundle", "deliver_pending"]
