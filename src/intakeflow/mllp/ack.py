"""HL7 v2 acknowledgements (original mode): read the MSH of a message, build its ACK.

The ACK uses the delimiters the message declared, swaps sending and receiving
application and facility, answers ``ACK^<trigger>^ACK`` with a new control id, echoes
MSH-11 and MSH-12, and carries the original MSH-10 in MSA-2. AE and AR add an ERR
segment whose text is a catalogue reason: codes and counts, never message content.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from intakeflow.sources.hl7_escape import Delimiters
from intakeflow.sources.hl7_parse import decode_bytes

AckCode = Literal["AA", "AE", "AR"]
#: HL7 table 0357 (message error condition codes) entries this listener uses
HL7_ERROR_TEXT: dict[str, str] = {
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "207": "Application internal error",
}


@dataclass(frozen=True)
class AckError:
    """Why a message was not accepted: HL7 table 0357 code, catalogue code, safe reason."""

    hl7_code: str
    code: str
    reason: str


@dataclass(frozen=True)
class MshHeader:
    """The MSH fields an ACK needs, as raw (still escaped) field values."""

    delims: Delimiters
    encoding_chars: str
    sending_app: str
    sending_facility: str
    receiving_app: str
    receiving_facility: str
    trigger: str
    control_id: str
    processing_id: str
    version: str
    charset: str = "utf-8"


def read_msh(raw: bytes) -> MshHeader | None:
    """The MSH of a message (or of the head of an oversize one); ``None`` when the data
    does not start with a readable MSH segment."""
    text, meta = decode_bytes(raw)
    first = re.split(r"[\r\n]", text.lstrip("\ufeff \t\r\n"), maxsplit=1)[0]
    if len(first) < 8 or not first.startswith("MSH") or first[3].isalnum() or first[3].isspace():
        return None
    delims = Delimiters.from_msh(first)
    parts = first.split(delims.field)
    fields = ["MSH", delims.field, *parts[1:]]

    def get(n: int) -> str:
        return fields[n] if n < len(fields) else ""

    def first_component(n: int) -> str:
        return get(n).split(delims.repetition)[0].split(delims.component)[0]

    msg_type = get(9).split(delims.repetition)[0].split(delims.component)
    return MshHeader(
        delims=delims,
        encoding_chars=parts[1],
        sending_app=get(3),
        sending_facility=get(4),
        receiving_app=get(5),
        receiving_facility=get(6),
        trigger=msg_type[1] if len(msg_type) > 1 else "",
        control_id=get(10),
        processing_id=get(11),
        version=first_component(12),
        charset=str(meta.get("encoding", "utf-8")),
    )


def build_ack(
    msh: MshHeader,
    code: AckCode,
    error: AckError | None = None,
    *,
    control_id: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The ACK message (segments joined by CR, not yet MLLP-framed), in the message's charset."""
    d = msh.delims
    when = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S") + "+0000"
    msg_type = d.component.join(["ACK", msh.trigger, "ACK"]) if msh.trigger else "ACK"
    header = [
        "MSH", msh.encoding_chars, msh.receiving_app, msh.receiving_facility, msh.sending_app,
        msh.sending_facility, when, "", msg_type, control_id or new_control_id(),
        msh.processing_id or "P", msh.version,
    ]
    msa = ["MSA", code, msh.control_id]
    segments = [d.field.join(header)]
    if error is None:
        segments.append(d.field.join(msa))
    else:
        segments.append(d.field.join([*msa, escape(error.reason, d)]))
        segments.append(_err_segment(msh, error))
    return "\r".join(segments).encode(msh.charset, errors="replace")


def new_control_id() -> str:
    """20 characters: the MSH-10 length of v2.5."""
    return "A" + uuid.uuid4().hex[:19].upper()


def escape(text: str, d: Delimiters) -> str:
    """Escape delimiter characters in a text value (v2.5 section 2.7)."""
    out = text.replace(d.escape, f"{d.escape}E{d.escape}")
    for char, name in ((d.field, "F"), (d.component, "S"), (d.repetition, "R"), (d.subcomponent, "T")):
        out = out.replace(char, f"{d.escape}{name}{d.escape}")
    return out.replace("\r", " ").replace("\n", " ")


def _err_segment(msh: MshHeader, error: AckError) -> str:
    d = msh.delims
    label = HL7_ERROR_TEXT.get(error.hl7_code, "")
    if _version_tuple(msh.version) < (2, 5) and msh.version:
        # ERR-1 (ELD) before v2.5: segment^sequence^field^code, the code a CE in subcomponents
        coded = d.subcomponent.join([error.hl7_code, escape(label, d), "HL70357"])
        return d.field.join(["ERR", d.component.join(["MSH", "1", "", coded])])
    # v2.5+: ERR-3 HL7 error code, ERR-4 severity, ERR-5 application error code, ERR-8 user message
    hl7_code = d.component.join([error.hl7_code, escape(label, d), "HL70357"])
    return d.field.join(["ERR", "", "", hl7_code, "E", error.code, "", "", escape(error.reason, d)])


def _version_tuple(version: str) -> tuple[int, ...]:
    nums = re.findall(r"\d+", version)
    return tuple(int(n) for n in nums[:3]) if nums else (0,)
