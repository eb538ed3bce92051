"""One catalogue of error codes and messages (spaCy style).

Messages never contain message text or identifier values: only codes, counts, ids and
field names, so an exception or a quarantine reason can be logged safely.
"""

from __future__ import annotations

from enum import StrEnum


class E(StrEnum):
    """Error codes. The value is the message template (``str.format`` fields allowed)."""

    E001_EMPTY_TEXT = "E001: message text is empty or whitespace only"
    E002_TEXT_TOO_LONG = "E002: message text has {length} characters, above the limit of {limit}"
    E003_NOT_TEXT = "E003: message text is not a string (got {kind})"
    E004_BAD_ENCODING = "E004: message bytes are not valid {encoding}"
    E005_MISSING_FIELD = "E005: input record lacks required field '{field}'"
    E006_BAD_JSON = "E006: input line {line} is not a JSON object"
    E007_INTERNAL = "E007: internal error while processing the message ({kind})"
    E010_MODEL_MISSING = "E010: model artifacts not found at {path}"
    E011_MODEL_INCOMPATIBLE = "E011: model artifact {path} is incompatible: {why}"
    E020_HL7_UNPARSEABLE = "E020: HL7 v2 message could not be parsed ({why})"
    E021_HL7_NO_MSH = "E021: HL7 v2 message has no MSH segment"
    E022_HL7_NO_TEXT = "E022: HL7 v2 message carries no OBX-5 or NTE-3 text"
    E023_FILE_UNREADABLE = "E023: archive file could not be read ({why})"
    E024_HL7_TRUNCATED = "E024: HL7 v2 input is truncated ({why})"
    E025_ATTEMPTS_EXHAUSTED = "E025: message reached {limit} processing attempts without a result"
    E030_FHIR_HTTP = "E030: FHIR server answered HTTP {status} for {method} {resource}"
    E031_FHIR_INVALID = "E031: FHIR resource {resource} failed validation ({why})"
    E032_FHIR_NO_TEXT = "E032: Communication has no text payload ({why})"
    E033_FHIR_ATTACHMENT_SKIPPED = "E033: attachment {index} skipped ({why})"
    E034_FHIR_UNREACHABLE = "E034: FHIR server unreachable for {method} {resource} after {attempts} attempts ({kind})"
    E035_FHIR_CONFLICT = "E035: FHIR version conflict on {resource} persisted after {attempts} attempts"
    E036_FHIR_BAD_RESPONSE = "E036: FHIR server answer is not usable ({why})"
    E040_FALLBACK_BUDGET = "E040: fallback budget exhausted ({which})"
    E041_FALLBACK_BAD_OUTPUT = "E041: fallback answer rejected ({why})"
    E042_FALLBACK_CALL_FAILED = "E042: fallback call failed ({kind}, status {status})"
    E070_REDACT_BAD_SPANS = "E070: spans to redact are invalid (span {index}: {why})"
    E071_REDACT_UNKNOWN_OPERATOR = "E071: unknown redaction operator '{name}'"
    E072_REDACT_SECRET_MISSING = "E072: redaction operator '{name}' needs RedactionConfig.secret (none set)"
    E073_REDACT_KEY_INVALID = "E073: operator 'encrypt' needs RedactionConfig.encryption_key of 16, 24 or 32 bytes ({why})"
    E074_DECRYPT_FAILED = "E074: encrypted token {index} could not be decrypted ({why})"
    E075_INSURANCE_BAD_SPAN = "E075: insurance span {index} is invalid ({why})"
    E080_ROUTING_BAD_INPUT = "E080: routing or calibration input is invalid ({why})"
    E050_CONFIG = "E050: invalid configuration: {why}"
    E070_SPAN_KIND = "E070: span answer kind must be 'phi' or 'insurance' (got {kind})"
    E060_GENERATOR_INVALID = "E060: generator produced record {rid} with {count} span-rule violations"
    E080_WAIT_FAILED = "E080: deferred wait in {trigger} ended with error {error}"
    E090_REPROCESS_NO_TEXT = "E090: {count} messages cannot be reprocessed: their raw text was not kept (store_raw off)"
    E091_REPROCESS_SOURCE_QUARANTINE = "E091: {count} inputs were quarantined at the source: no stored message to re-queue"
    E092_REPROCESS_UNKNOWN_ID = "E092: {count} message ids given for reprocessing are not in the store"
    E093_REPROCESS_SELECTION = "E093: invalid reprocess selection ({why})"
    E110_MLLP_TOO_LARGE = "E110: MLLP frame of {size} bytes is above the limit of {limit} bytes"
    E111_MLLP_MALFORMED = "E111: MLLP frame is malformed ({why})"
    E112_MLLP_NOT_STORED = "E112: message could not be stored ({kind}); send it again later"

    def format(self, **kwargs: object) -> str:  # type: ignore[override]
        return self.value.format(**kwargs)


class IntakeflowError(Exception):
    """Base class; carries a catalogue code so callers can group failures."""

    def __init__(self, code: E, **kwargs: object) -> None:
        self.code = code
        self.params = kwargs
        super().__init__(code.format(**kwargs))

    @property
    def code_id(self) -> str:
        return self.code.name.split("_", 1)[0]


class InputError(IntakeflowError):
    """The message itself is unusable; it goes to quarantine."""


class ModelError(IntakeflowError):
    """Model artifacts are missing or broken."""


class SourceError(IntakeflowError):
    """A source (HL7 file, FHIR server) gave something unusable."""


class SinkError(IntakeflowError):
    """Writing results failed."""
