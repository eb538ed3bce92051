"""Readers that turn raw inputs (HL7 v2 archives, FHIR Communication) into InboundMessage."""

from __future__ import annotations

from intakeflow.sources.fhir_client import FhirAuth, FhirClient, RetryPolicy
from intakeflow.sources.fhir_source import communication_to_inbound, iter_communications
from intakeflow.sources.hl7_files import (
    iter_archive,
    list_archive_files,
    read_file,
    split_file_bytes,
    split_messages,
)
from intakeflow.sources.hl7_parse import HL7_SOURCE, parse_hl7

__all__ = [
    "HL7_SOURCE",
    "FhirAuth",
    "FhirClient",
    "RetryPolicy",
    "communication_to_inbound",
    "iter_archive",
    "iter_communications",
    "list_archive_files",
    "parse_hl7",
    "read_file",
    "split_file_bytes",
    "split_messages",
]
