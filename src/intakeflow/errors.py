"""One catalogue of error codes and messages (spaCy style).

Each code is defined once, in :class:`E`: its message template, a short title and the
action an integration engineer takes on seeing it (``intakeflow errors [CODE]`` prints
them). Every exception class of the package is defined here too; the modules that raise
them re-export them.

Messages never contain message text or identifier values: only codes, counts, ids and
field names, so an exception or a quarantine reason can be logged safely.

Codes come in families: E00x input, E01x model, E02x HL7 v2 and archive files, E03x FHIR,
E04x frontier fallback, E05x configuration, E06x synthetic data, E07x spans and
redaction, E08x routing and waits, E09x reprocessing, E11x MLLP listener, E12x alerts (the
watchdog's health checks, ``intakeflow.health``). A code is never reused for another error
(the store, metrics and alerts group by it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class E(StrEnum):
    """Error codes. The value is the message template (``str.format`` fields allowed);
    ``title`` and ``action`` are defined beside it. The code is the name's prefix."""

    _value_: str
    #: shadows ``str.title`` on members on purpose (``str(member).title()`` still works)
    title: str  # type: ignore[assignment]
    action: str

    def __new__(cls, template: str, title: str, action: str) -> E:
        member = str.__new__(cls, template)
        member._value_ = template
        member.title = title
        member.action = action
        return member

    E001_EMPTY_TEXT = (
        "E001: message text is empty or whitespace only",
        "Empty message",
        "Quarantined; nothing to process. Check that the sender or interface engine does not emit blank messages; "
        "no reprocessing is needed.",
    )
    E002_TEXT_TOO_LONG = (
        "E002: message text has {length} characters, above the limit of {limit}",
        "Message text too long",
        "Quarantined. Check that the sender does not concatenate messages or put documents in the text; if such "
        "long messages are expected, raise PipelineConfig.max_chars and reprocess (intakeflow reprocess).",
    )
    E003_NOT_TEXT = (
        "E003: message text is not a string (got {kind})",
        "Message text is not a string",
        "A fault of the integration code that builds the input, not of the message: fix the code (or the JSONL "
        "'text' field) so the text is a string, then rerun.",
    )
    E004_BAD_ENCODING = (
        "E004: message bytes are not valid {encoding}",
        "Message bytes in the wrong encoding",
        "Quarantined. Have the sender or interface engine send UTF-8 (or convert there), then resend the input.",
    )
    E005_MISSING_FIELD = (
        "E005: input record lacks required field '{field}'",
        "Input record lacks a required field",
        "Fix the producer of the JSONL input so every line has the named field, then rerun the file.",
    )
    E006_BAD_JSON = (
        "E006: input line {line} is not a JSON object",
        "Input line is not JSON",
        "Fix the producer of the JSONL input (one JSON object per line), then rerun the file.",
    )
    E007_INTERNAL = (
        "E007: internal error while processing the message ({kind})",
        "Internal error",
        "A bug, not a bad message: the message is retried. If it persists, report the exception kind and the "
        "message id (never its text) to the intakeflow maintainers.",
    )
    E010_MODEL_MISSING = (
        "E010: model artifacts not found at {path}",
        "Model artifacts missing",
        "Point PipelineConfig.model_path (--model) at a complete model artifact folder, or reinstall the package "
        "that ships the model.",
    )
    E011_MODEL_INCOMPATIBLE = (
        "E011: model artifact {path} is incompatible: {why}",
        "Model artifact incompatible",
        "Use a model artifact exported for this intakeflow version: re-export the model or install the matching "
        "package version.",
    )
    E020_HL7_UNPARSEABLE = (
        "E020: HL7 v2 message could not be parsed ({why})",
        "HL7 v2 message unparseable",
        "Quarantined. Check the sender's HL7 v2 output (segment separators, MSH-1/MSH-2 encoding characters); "
        "after the sender fixes it, resend the message.",
    )
    E021_HL7_NO_MSH = (
        "E021: HL7 v2 message has no MSH segment",
        "HL7 v2 message has no MSH header",
        "Quarantined. The input is not an HL7 v2 message or lost its header; check what the sender or the archive "
        "job writes to this feed.",
    )
    E022_HL7_NO_TEXT = (
        "E022: HL7 v2 message carries no OBX-5 or NTE-3 text",
        "HL7 v2 message carries no text",
        "Nothing to process; check the sender's message type filter, or ignore if this message type is expected "
        "to carry no free text.",
    )
    E023_FILE_UNREADABLE = (
        "E023: archive file could not be read ({why})",
        "Archive file unreadable",
        "Check the file's permissions, the storage mount and that the file is not still being written; rerun the "
        "day's DAG run once it is readable.",
    )
    E024_HL7_TRUNCATED = (
        "E024: HL7 v2 input is truncated ({why})",
        "HL7 v2 input truncated",
        "Quarantined. The file or frame was cut off (incomplete transfer, batch without trailer, wrong count); "
        "have the sender resend it, then rerun the day.",
    )
    E025_ATTEMPTS_EXHAUSTED = (
        "E025: message reached {limit} processing attempts without a result",
        "Processing attempts exhausted",
        "The message failed on every attempt; find the underlying code in the task logs, fix that cause, then "
        "re-queue it with intakeflow reprocess --ids.",
    )
    E026_FILE_EMPTY = (
        "E026: archive file holds no HL7 v2 message",
        "Archive file empty",
        "Nothing was lost in this pipeline: the file was empty (or blank) when read. Check the archive job that "
        "wrote it; if it was still being written, rerun the day's DAG run.",
    )
    E030_FHIR_HTTP = (
        "E030: FHIR server answered HTTP {status} for {method} {resource}",
        "FHIR server error status",
        "Check the FHIR connection (base URL, credentials, scopes) and the server's own logs for this status; "
        "transient statuses are retried by the task.",
    )
    E031_FHIR_INVALID = (
        "E031: FHIR resource {resource} failed validation ({why})",
        "FHIR resource invalid",
        "Quarantined. Compare the resource with the expected profile (required fields, codes) and fix the sender "
        "or the mapping, then reprocess.",
    )
    E032_FHIR_NO_TEXT = (
        "E032: Communication has no text payload ({why})",
        "FHIR Communication has no text",
        "Nothing to process: no contentString or text/plain attachment. Ignore, or ask the sending system to "
        "include the text.",
    )
    E033_FHIR_ATTACHMENT_SKIPPED = (
        "E033: attachment {index} skipped ({why})",
        "FHIR attachment skipped",
        "Informational: an attachment that is not text/plain, or could not be fetched, was left out. If fetches "
        "fail, check the FHIR server's Binary access.",
    )
    E034_FHIR_UNREACHABLE = (
        "E034: FHIR server unreachable for {method} {resource} after {attempts} attempts ({kind})",
        "FHIR server unreachable",
        "Check network, DNS, TLS certificates and that the FHIR server is up; the next run tries again.",
    )
    E035_FHIR_CONFLICT = (
        "E035: FHIR version conflict on {resource} persisted after {attempts} attempts",
        "FHIR version conflict",
        "Another writer keeps updating the same resource: find it (another pipeline or integration), then rerun "
        "the write-back.",
    )
    E036_FHIR_BAD_RESPONSE = (
        "E036: FHIR server answer is not usable ({why})",
        "FHIR server answer unusable",
        "The server answered something that is not the expected FHIR JSON (often a proxy or login page): check "
        "the connection's base URL and any gateway in front of the server.",
    )
    E037_FHIR_AUTH_REFUSED = (
        "E037: FHIR authorization server refused the client (HTTP {status}, {error}: {why})",
        "FHIR authorization refused",
        "Compare what is registered at the EHR with the connection: client id, public key or JWKS URL (and the key "
        "id), signing algorithm (RS384 or ES384), token endpoint and scopes; a clock far off also fails the "
        "assertion. Then test the connection.",
    )
    E038_FHIR_BULK_FAILED = (
        "E038: FHIR Bulk Data export failed ({why})",
        "FHIR Bulk Data export failed",
        "Read the status the server gave (its OperationOutcome is in the server's logs); check the export "
        "parameters and scopes, then rerun: a new export starts from the last complete one.",
    )
    E039_FHIR_BULK_OUTCOME = (
        "E039: FHIR Bulk Data export reported an error for a resource ({severity}, {issue})",
        "FHIR Bulk Data error line",
        "Quarantined: a line of the export's error files (an OperationOutcome). The server could not export a "
        "resource; check its logs for the issue code, fix the cause there, and the next export includes it.",
    )
    E040_FALLBACK_BUDGET = (
        "E040: fallback budget exhausted ({which})",
        "Fallback budget exhausted",
        "The frontier fallback stopped for this run and messages keep the local model's answer; raise "
        "FallbackConfig.max_calls or max_usd only if the spend is intended.",
    )
    E041_FALLBACK_BAD_OUTPUT = (
        "E041: fallback answer rejected ({why})",
        "Fallback answer rejected",
        "Informational: the answer was discarded and the local model's answer kept; if frequent, check the "
        "fallback model setting.",
    )
    E042_FALLBACK_CALL_FAILED = (
        "E042: fallback call failed ({kind}, status {status})",
        "Fallback call failed",
        "Check the anthropic connection (API key, network, rate limits); messages keep the local model's answer "
        "meanwhile.",
    )
    E050_CONFIG = (
        "E050: invalid configuration: {why}",
        "Invalid configuration",
        "Fix the setting the message names (operator parameter, connection extra, site-format file or command "
        "option), then rerun.",
    )
    E051_STORE_UNREACHABLE = (
        "E051: PostgreSQL store unreachable ({kind})",
        "Store unreachable",
        "Check that PostgreSQL is running and that the DSN (--dsn, $INTAKEFLOW_POSTGRES_DSN or the Airflow "
        "connection) points at it; nothing was staged or processed, so rerun once it answers.",
    )
    E053_PROCESS_LOST = (
        "E053: a processing process ended without finishing ({kind})",
        "Processing process lost",
        "A process of `intakeflow process --processes` or `intakeflow predict --processes` died (killed, out "
        "of memory). For `process`, the messages it had claimed return to the queue when their claim lease "
        "ends (claim_lease_s, 15 minutes by default): rerun then, with fewer processes if memory ran out. "
        "`predict` writes its output only when every message is done: rerun it.",
    )
    E052_NOT_IN_WHEEL = (
        "E052: {name} runs from a source checkout; the installed package does not include it",
        "Developer tool not installed",
        "Run it from a clone of the intakeflow repository after `make setup`: the benchmarks, the demo and the "
        "dev stack live in its tools/ folder, the generator, training and export in models/, outside the runtime wheel.",
    )
    E060_GENERATOR_INVALID = (
        "E060: generator produced record {rid} with {count} span-rule violations",
        "Synthetic record invalid",
        "Development only: a bug in the synthetic data generator. Report the record id and seed to the maintainers.",
    )
    E070_REDACT_BAD_SPANS = (
        "E070: spans to redact are invalid (span {index}: {why})",
        "Redaction spans invalid",
        "A bug in span detection, not a bad message: the message is retried. If it persists, report the message "
        "id to the maintainers.",
    )
    E071_REDACT_UNKNOWN_OPERATOR = (
        "E071: unknown redaction operator '{name}'",
        "Unknown redaction operator",
        "Fix the operator name in the redaction settings (RedactionConfig.operators or default_operator).",
    )
    E072_REDACT_SECRET_MISSING = (
        "E072: redaction operator '{name}' needs RedactionConfig.secret (none set)",
        "Redaction secret missing",
        "Set RedactionConfig.secret from your secret store (16 bytes or more), or choose an operator that needs "
        "no secret.",
    )
    E073_REDACT_KEY_INVALID = (
        "E073: operator 'encrypt' needs RedactionConfig.encryption_key of 16, 24 or 32 bytes ({why})",
        "Encryption key invalid",
        "Set RedactionConfig.encryption_key to a 16, 24 or 32 byte key from your secret store.",
    )
    E074_DECRYPT_FAILED = (
        "E074: encrypted token {index} could not be decrypted ({why})",
        "Token could not be decrypted",
        "The token was made with another key or was altered: decrypt with the key in use when it was redacted.",
    )
    E075_INSURANCE_BAD_SPAN = (
        "E075: insurance span {index} is invalid ({why})",
        "Insurance span invalid",
        "A bug in insurance extraction, not a bad message: report the message id to the maintainers.",
    )
    E076_SPAN_KIND = (
        "E076: span answer kind must be 'phi' or 'insurance' (got {kind})",
        "Unknown span answer kind",
        "A bug in the code calling the span merger, not a bad message: report the message id to the maintainers.",
    )
    E080_ROUTING_BAD_INPUT = (
        "E080: routing or calibration input is invalid ({why})",
        "Routing input invalid",
        "Check the routing settings and the model artifact's calibration (model.json); a model exported for "
        "another intent list must be re-exported.",
    )
    E081_WAIT_FAILED = (
        "E081: deferred wait in {trigger} ended with error {error}",
        "Deferred wait failed",
        "The sensor's wait stopped on the error code shown: look that code up (intakeflow errors CODE), fix its "
        "cause, then clear the task.",
    )
    E090_REPROCESS_NO_TEXT = (
        "E090: {count} messages cannot be reprocessed: their raw text was not kept (store_raw off)",
        "Raw text not kept for reprocessing",
        "Resend these messages from the source; turn store_raw on where reprocessing from the store should be "
        "possible.",
    )
    E091_REPROCESS_SOURCE_QUARANTINE = (
        "E091: {count} inputs were quarantined at the source: no stored message to re-queue",
        "Quarantined at the source",
        "Fix the input at the source (see its own reason code), then resend it or rerun the source task.",
    )
    E092_REPROCESS_UNKNOWN_ID = (
        "E092: {count} message ids given for reprocessing are not in the store",
        "Message ids not in the store",
        "Check the ids (store row ids, not source ids) and the store schema selected.",
    )
    E093_REPROCESS_SELECTION = (
        "E093: invalid reprocess selection ({why})",
        "Invalid reprocess selection",
        "Give exactly one of ids, a run id or a period with since before until (see intakeflow reprocess --help).",
    )
    E110_MLLP_TOO_LARGE = (
        "E110: MLLP frame of {size} bytes is above the limit of {limit} bytes",
        "MLLP message too large",
        "The listener answered AE. Raise --max-bytes if such messages are legitimate, or ask the sender to split "
        "them.",
    )
    E111_MLLP_MALFORMED = (
        "E111: MLLP frame is malformed ({why})",
        "MLLP frame malformed",
        "Check the sender's MLLP framing (0x0B start block, 0x1C 0x0D end); often a client that does not speak "
        "MLLP on this port.",
    )
    E112_MLLP_NOT_STORED = (
        "E112: message could not be stored ({kind}); send it again later",
        "MLLP message not stored",
        "The listener answered AR, so the sender keeps the message and resends it; check the database "
        "(connection, disk space, locks).",
    )
    E113_MLLP_STORE_REJECTED = (
        "E113: the store rejected this message's content ({kind}); kept in quarantine",
        "MLLP message rejected by the store",
        "The listener kept a quarantine record and answered AE, so the sender moves on instead of resending it "
        "for ever; report the error kind to the maintainers.",
    )

    E120_BACKLOG_STALLED = (
        "E120: {count} messages of source {source} wait, the oldest for {age} s, and none was claimed or processed "
        "in the last {window} s",
        "Backlog not processed",
        "Nothing is processing this source: check that the DAG that processes it (hl7_live_intake for mllp sources) "
        "is unpaused and its runs succeed, that the scheduler and workers are up, and that the listener stages under "
        "the workers' model version. intakeflow health shows the figures.",
    )
    E121_QUARANTINE_SHARE = (
        "E121: {count} of {total} inputs of source {source} in the last {window} s (filtered ones aside) were "
        "quarantined ({share} %), above {threshold} %",
        "Quarantine share high",
        "See the quarantine by reason code on the monitoring page (the source's channel row, same period): usually a "
        "change at the sender (message type, encoding, segment layout) or a broken archive job. Fix it there, then "
        "intakeflow reprocess.",
    )
    E122_FEED_SILENT = (
        "E122: no input from source {source} for {age} (threshold {threshold} s)",
        "Feed silent",
        "Check the sender or its interface engine (its queue, its connection to the listener's port) and the network "
        "path. If the feed is quiet at these hours by design, raise feed_silent_s for this source in the "
        "intakeflow_alerts settings.",
    )
    E123_LISTENER_DOWN = (
        "E123: the MLLP listener of source {source} last reported {age} s ago (threshold {threshold} s)",
        "MLLP listener not running",
        "Start intakeflow mllp-listen again (its service or container) and read its log; senders keep their messages "
        "and resend them. For a listener retired on purpose, delete its row from the store's listener_heartbeats "
        "table.",
    )
    E124_WRITEBACK_FAILING = (
        "E124: the last FHIR write-back of {count} messages failed in the last {window} s ({codes})",
        "FHIR write-back failing",
        "The codes say why (E034 server unreachable, E030 error status, E035 version conflicts): check the FHIR "
        "connection and the server. The messages stay processed and the next write-back run sends them again.",
    )
    E125_NOTIFIER_FAILED = (
        "E125: alert notifier {name} failed ({kind}); it is tried again at the next check",
        "Alert not sent",
        "Check the notifier's connection (SMTP server, Slack webhook) and its entry in the intakeflow_alerts "
        "settings; the watchdog keeps the alert pending and sends it once the notifier works.",
    )

    @property
    def code_id(self) -> str:
        """``E022`` for ``E022_HL7_NO_TEXT``."""
        return self.name.split("_", 1)[0]

    def format(self, **kwargs: object) -> str:  # type: ignore[override]
        return self.value.format(**kwargs)


def lookup(code: str) -> E | None:
    """The catalogue entry of ``E022``, ``e022``, ``E022_HL7_NO_TEXT`` or ``E022: ...``; ``None`` if unknown."""
    key = code.strip().split(":", 1)[0].split("_", 1)[0].upper()
    return next((e for e in E if e.code_id == key), None)


def title_of(code: str | None) -> str:
    """The title of a code as stored (``reason_code``), ``""`` for none or an unknown code."""
    entry = lookup(code) if code else None
    return entry.title if entry else ""


# -- exceptions ---------------------------------------------------------------------------------


class IntakeflowError(Exception):
    """Base class; carries a catalogue code so callers can group failures."""

    def __init__(self, code: E, **kwargs: object) -> None:
        self.code = code
        self.params = kwargs
        super().__init__(code.format(**kwargs))

    @property
    def code_id(self) -> str:
        return self.code.name.split("_", 1)[0]

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt from the code and its parameters, not from the message, which the default
        # would pass as the code (a spawned process's error crosses to its parent this way)
        return (_rebuild_error, (type(self), self.code, self.params))


def _rebuild_error(cls: type[IntakeflowError], code: E, params: dict[str, object]) -> IntakeflowError:
    error = cls.__new__(cls)  # past a subclass's own __init__ (AuditConflict takes no code)
    IntakeflowError.__init__(error, code, **params)
    return error


class InputError(IntakeflowError):
    """The message itself is unusable; it goes to quarantine."""


class ModelError(IntakeflowError):
    """Model artifacts are missing or broken."""


class SourceError(IntakeflowError):
    """A source (HL7 file, FHIR server) gave something unusable."""


class AuthError(SourceError):
    """A FHIR authorization server refused the client (E037): ``params['error']`` is the
    OAuth error code. Re-exported by ``intakeflow.fhir_auth``."""


class SinkError(IntakeflowError):
    """Writing results failed."""


class RoutingError(IntakeflowError):
    """Routing or calibration got unusable input (codes only, never text). Re-exported by ``intakeflow.pipeline.routing``."""


class FallbackError(IntakeflowError):
    """The fallback is misconfigured (raised at construction, never per message).
    Re-exported by ``intakeflow.pipeline.fallback.config`` and ``intakeflow.pipeline.fallback``."""


class RedactionError(IntakeflowError):
    """Redaction could not run (bad spans, missing secret or key, undecryptable token).
    Re-exported by ``intakeflow.pipeline.anonymizers.base`` and ``intakeflow.pipeline.anonymizers``."""


class SiteFormatError(IntakeflowError):
    """A site-format file that cannot be used (codes and field names only). Re-exported by
    ``intakeflow.pipeline.recognizers.site_formats``."""
