"""One HL7 v2 message (bytes or text) -> InboundMessage, or Quarantined with a catalogue code.

hl7apy checks the structure (``find_groups=False``: with group detection on it silently
drops segments it cannot place; tolerant validation). Field values are read from the raw
segment text because hl7apy's ``to_er7`` re-escapes formatting sequences such as ``\\.br\\``.

Validation modes (``validation=`` or ``INTAKEFLOW_HL7_VALIDATION``): ``full`` lets hl7apy
parse every message whole; ``fast`` (the default) asks hl7apy once per message shape and
remembers its verdict (:mod:`intakeflow.sources.hl7_fast`), and parses whole only the messages
with a part hl7apy rejects or an unusual one. Both give the same result for every input
(``tests/sources/test_hl7_fast_path.py``, and the fuzz suite compares them on each mutant).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from hl7apy import load_library
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.exceptions import HL7apyException, UnsupportedVersion
from hl7apy.parser import parse_message

from intakeflow.errors import E, IntakeflowError
from intakeflow.results import MAX_TEXT_CHARS, Filtered, InboundMessage, Quarantined, SourceItem
from intakeflow.sources import hl7_fast
from intakeflow.sources.filters import DEFAULT_HL7_FILTERS, FilterRule, rule_for
from intakeflow.sources.hl7_escape import Delimiters, unescape

HL7_SOURCE = "hl7v2"
HL7_CHANNEL = "hl7_note"
#: OBX-2 value types whose OBX-5 is free text.
TEXT_VALUE_TYPES: frozenset[str] = frozenset({"TX", "FT", "ST"})
#: Highest version hl7apy knows; messages of later versions are read with its rules.
_FALLBACK_VERSION = "2.8.2"
_SEGMENT_ID = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_MIN_MSH_FIELDS = 12  # through MSH-12 (version id)
#: environment variable choosing the validation mode when no ``validation=`` is given
VALIDATION_ENV = "INTAKEFLOW_HL7_VALIDATION"
VALIDATION_MODES: tuple[str, ...] = ("fast", "full")
DEFAULT_VALIDATION = "fast"


def decode_bytes(raw: bytes) -> tuple[str, dict[str, Any]]:
    """Decode message bytes: UTF-8 (BOM stripped), else cp1252, else latin-1 (never fails).

    The returned meta says which decoding was used so a fallback is visible downstream.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), {}
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), {"encoding": "cp1252", "encoding_fallback": True}
    except UnicodeDecodeError:
        return raw.decode("latin-1"), {"encoding": "latin-1", "encoding_fallback": True}


def normalise_segments(text: str) -> list[str]:
    """Split message text into segments, accepting CR, LF or CRLF and a leading BOM."""
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    return [seg for seg in text.split("\r") if seg.strip()]


def validation_mode(value: str | None = None) -> str:
    """``fast`` or ``full``: ``value``, else ``INTAKEFLOW_HL7_VALIDATION``, else ``fast``;
    anything else is a configuration error (E050)."""
    mode = (value if value is not None else os.environ.get(VALIDATION_ENV) or DEFAULT_VALIDATION).strip().lower()
    if mode not in VALIDATION_MODES:
        raise IntakeflowError(E.E050_CONFIG, why=f"HL7 validation must be fast or full (parameter or {VALIDATION_ENV})")
    return mode


def parse_hl7(
    raw: bytes | str,
    origin: str,
    filters: Sequence[FilterRule] = DEFAULT_HL7_FILTERS,
    validation: str | None = None,
) -> SourceItem:
    """Parse one HL7 v2 message.

    ``origin`` names where the message came from (archive-relative file name and message
    index, e.g. ``2024/01/02/feed.hl7#3``); it goes into ``meta`` and, when the message has
    no usable MSH-10, into a stable fallback ``source_id``. ``validation`` is ``fast`` or
    ``full`` (:func:`validation_mode`; same results, see the module docstring). Never raises
    for bad input (an unknown ``validation`` is a configuration error, E050).
    """
    fast = validation_mode(validation) == "fast"
    meta: dict[str, Any] = {"origin": origin}
    if isinstance(raw, bytes):
        text, enc_meta = decode_bytes(raw)
        meta.update(enc_meta)
    else:
        text = raw
    segments = normalise_segments(text)
    fallback_id = _fallback_id(origin, text)
    if not segments or not segments[0].startswith("MSH"):
        return Quarantined(HL7_SOURCE, fallback_id, "E021", E.E021_HL7_NO_MSH.format(), meta)
    delims = Delimiters.from_msh(segments[0])
    msh = _fields(segments[0], delims)
    source_id = _message_key(msh, delims) or fallback_id
    code, event = _component(_get(msh, 9), delims, 0), _component(_get(msh, 9), delims, 1)
    meta["message_type"] = f"{code}^{event}" if event else code
    meta["version"] = _component(_get(msh, 12), delims, 0)
    meta["segment_count"] = len(segments)

    truncated = _truncation_reason(segments, msh)
    if truncated:
        return Quarantined(HL7_SOURCE, source_id, "E024", E.E024_HL7_TRUNCATED.format(why=truncated), meta)
    problem = _check_with_hl7apy(segments, meta, fast)
    if problem:
        return Quarantined(HL7_SOURCE, source_id, "E020", E.E020_HL7_UNPARSEABLE.format(why=problem), meta)

    parts = _text_parts(segments, delims)
    meta["text_segments"] = len(parts)
    body = "\n".join(p for p in parts if p.strip()).strip()
    if not body:
        rule = rule_for(meta.get("message_type"), filters)
        if rule is not None:  # expected traffic without text (an ADT): recorded, not quarantined
            return Filtered(HL7_SOURCE, source_id, rule.name, meta)
        return Quarantined(HL7_SOURCE, source_id, "E022", E.E022_HL7_NO_TEXT.format(), meta)
    if len(body) > MAX_TEXT_CHARS:
        too_long = E.E002_TEXT_TOO_LONG.format(length=len(body), limit=MAX_TEXT_CHARS)
        return Quarantined(HL7_SOURCE, source_id, "E002", too_long, meta)
    return InboundMessage(
        source=HL7_SOURCE,
        source_id=source_id,
        text=body,
        channel=HL7_CHANNEL,
        patient_ref=_patient_ref(segments, delims),
        received_at=parse_hl7_datetime(_component(_get(msh, 7), delims, 0)),
        meta=meta,
    )


def parse_hl7_datetime(value: str) -> datetime | None:
    """HL7 DTM/TS (``YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]``) -> aware datetime (UTC if no offset)."""
    m = re.fullmatch(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.\d+)?([+-]\d{4})?", value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, offset = m.groups()
    try:  # an offset of 24 hours or more is as invalid as a 13th month: no time rather than a guess
        tz = UTC
        if offset:
            sign = 1 if offset[0] == "+" else -1
            hours, minutes = int(offset[1:3]), int(offset[3:5])
            if minutes > 59:
                return None
            tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return datetime(
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None


# -- helpers ---------------------------------------------------------------------------------


def _fields(segment: str, delims: Delimiters) -> list[str]:
    """Fields of a segment indexed so that ``fields[n]`` is field n (MSH-1 is the separator)."""
    parts = segment.split(delims.field)
    if parts[0] == "MSH":
        return ["MSH", delims.field, *parts[1:]]
    return parts


def _get(fields: list[str], n: int) -> str:
    return fields[n] if n < len(fields) else ""


def _component(value: str, delims: Delimiters, n: int) -> str:
    first_rep = value.split(delims.repetition, 1)[0]
    comps = first_rep.split(delims.component)
    return comps[n] if n < len(comps) else ""


def _message_key(msh: list[str], delims: Delimiters) -> str | None:
    control_id = unescape(_get(msh, 10), delims).strip()
    if not control_id:
        return None
    facility = unescape(_component(_get(msh, 4), delims, 0), delims).strip()
    return f"{facility}|{control_id}"


def _fallback_id(origin: str, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{origin}|sha256:{digest}"


def _truncation_reason(segments: list[str], msh: list[str]) -> str | None:
    if len(msh) <= _MIN_MSH_FIELDS:
        return "MSH ends before MSH-12"
    for seg in segments:
        if not _SEGMENT_ID.match(seg[:3]) or (len(seg) > 3 and seg[3] != msh[1]):
            return "segment with an invalid segment id"
    return None


def _check_with_hl7apy(segments: list[str], meta: dict[str, Any], fast: bool = False) -> str | None:
    """Let hl7apy parse the message; segments unknown to the declared version (e.g. PRT in
    a 2.5.1 message) are dropped from the check and counted in ``meta['unknown_segments']``
    because the text is read from OBX/NTE only. ``fast``: hl7apy's remembered verdicts on
    the message's shape first (:mod:`intakeflow.sources.hl7_fast`); the whole parse only
    when they do not accept it."""
    kept = list(segments)
    dropped: list[str] = []
    # names the declared version does not define go in one pass (Z-segments stay: hl7apy
    # accepts them); one re-parse per unknown name made 1,600 of them cost seconds
    known = _known_segments(meta.get("version") or "") or _known_segments(_FALLBACK_VERSION)
    if known:
        unknown = {s[:3] for s in kept[1:] if s[:3] not in known and not s.startswith("Z")}
        if unknown:
            kept = [kept[0], *(s for s in kept[1:] if s[:3] not in unknown)]
            dropped.extend(unknown)
    if fast and hl7_fast.accepts(kept):
        if dropped:
            meta["unknown_segments"] = sorted(set(dropped))
        return None
    for _ in range(len(kept) + 1):
        try:
            msg = parse_message("\r".join(kept), find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT)
        except UnsupportedVersion:
            if meta.get("parsed_as_version"):
                return "UnsupportedVersion"
            kept[0] = _with_version(kept[0], _FALLBACK_VERSION)
            meta["parsed_as_version"] = _FALLBACK_VERSION
            continue
        except HL7apyException as exc:
            name = _invalid_segment_name(exc)
            if name and name != "MSH" and any(s.startswith(name) for s in kept):
                kept = [s for s in kept if not s.startswith(name + segments[0][3])]
                dropped.append(name)
                continue
            return type(exc).__name__
        except Exception as exc:  # noqa: BLE001 - hl7apy raises bare errors on odd input
            return type(exc).__name__
        if len(msg.children) != len(kept):
            return "segment count mismatch"
        break
    if dropped:
        meta["unknown_segments"] = sorted(set(dropped))
    return None


@lru_cache(maxsize=16)
def _known_segments(version: str) -> frozenset[str] | None:
    """The segment names hl7apy defines for ``version``; None for a version it lacks."""
    try:
        return frozenset(load_library(version).SEGMENTS)
    except Exception:  # noqa: BLE001 - hl7apy raises UnsupportedVersion, or ImportError for odd strings
        return None


def _with_version(msh_segment: str, version: str) -> str:
    sep = msh_segment[3]
    parts = msh_segment.split(sep)
    # parts[0] is "MSH" and parts[n] is MSH-(n+1); MSH-12 is parts[11]
    parts[11] = version
    return sep.join(parts)


def _invalid_segment_name(exc: Exception) -> str | None:
    m = re.search(r"Invalid name for Segment: ([A-Z0-9]{3})", str(exc))
    return m.group(1) if m else None


def _text_parts(segments: list[str], delims: Delimiters) -> list[str]:
    parts: list[str] = []
    for seg in segments:
        sid = seg[:3]
        if sid == "OBX":
            f = _fields(seg, delims)
            if _component(_get(f, 2), delims, 0).strip().upper() in TEXT_VALUE_TYPES:
                parts.append(_repetitions_text(_get(f, 5), delims))
        elif sid == "NTE":
            parts.append(_repetitions_text(_get(_fields(seg, delims), 3), delims))
    return parts


def _repetitions_text(value: str, delims: Delimiters) -> str:
    """Repetitions are lines of one text; stray component separators are kept as spaces."""
    lines = []
    for rep in value.split(delims.repetition):
        comps = rep.split(delims.component)
        while comps and not comps[-1]:
            comps.pop()
        lines.append(unescape(" ".join(comps), delims).rstrip())
    return "\n".join(lines)


def _patient_ref(segments: list[str], delims: Delimiters) -> str | None:
    """``authority|id`` from the first PID-3 repetition (``id`` alone without authority)."""
    for seg in segments:
        if seg.startswith("PID"):
            pid3 = _get(_fields(seg, delims), 3)
            ident = unescape(_component(pid3, delims, 0), delims).strip()
            if not ident:
                return None
            authority = _component(pid3, delims, 3)
            namespace = unescape(authority.split(delims.subcomponent)[0], delims).strip()
            if not namespace and delims.subcomponent in authority:
                namespace = unescape(authority.split(delims.subcomponent)[1], delims).strip()
            return f"{namespace}|{ident}" if namespace else ident
    return None
