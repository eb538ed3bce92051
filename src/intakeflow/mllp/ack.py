"""HL7 v2 acknowledgements: read the MSH of a message, decide and build its ACK.

The ACK uses the delimiters the message declared, swaps sending and receiving
application and facility, answers ``ACK^<trigger>^ACK`` with a new control id and the
current time (MSH-7), echoes MSH-11 and MSH-12, and carries the original MSH-10 in MSA-2.
Error answers add an ERR segment whose text is a catalogue reason: codes and counts,
never message content.

Acknowledgement modes (HL7 v2.5 section 2.9): a message with neither MSH-15 nor MSH-16
is in *original mode* and gets AA / AE / AR. A message with either is in *enhanced mode*:
its accept (commit) acknowledgement is CA when the message was committed to the store and
CE when it was not accepted (content the parser refused, a bad frame, a failed commit);
MSH-15 says when it is sent (:func:`ack_wanted`). CR (MSH-9, MSH-11 or MSH-12 not
acceptable) is never sent: the listener takes every message type, processing id and v2
version. Application acknowledgements (MSH-16) are not sent by the listener: processing
happens later, in Airflow; the request is recorded with the message instead.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from intakeflow.sources.hl7_escape import Delimiters
from intakeflow.sources.hl7_parse import decode_bytes

AckCode = Literal["AA", "AE", "AR", "CA", "CE", "CR"]
#: HL7 table 0155: when an accept (MSH-15) or application (MSH-16) acknowledgement is sent
ACK_CONDITIONS = ("AL", "NE", "ER", "SU")
#: the enhanced-mode accept acknowledgement for each original-mode answer
COMMIT_CODE: dict[str, AckCode] = {"AA": "CA", "AE": "CE", "AR": "CE"}
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
    #: MSH-15 and MSH-16 as sent (first component, trimmed, upper case); "" when absent
    accept_ack: str = ""
    application_ack: str = ""

    @property
    def enhanced(self) -> bool:
        """Enhanced acknowledgement mode: the sender filled MSH-15 or MSH-16."""
        return bool(self.accept_ack or self.application_ack)

    @property
    def accept_condition(self) -> str:
        """When the commit ACK is sent: MSH-15, read liberally (empty or unknown: AL)."""
        return self.accept_ack if self.accept_ack in ACK_CONDITIONS else "AL"

    @property
    def application_condition(self) -> str:
        """When an application ACK was asked for: MSH-16 (unknown non-empty values: AL)."""
        if not self.application_ack:
            return "NE"
        return self.application_ack if self.application_ack in ACK_CONDITIONS else "AL"


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
        accept_ack=first_component(15).strip().upper(),
        application_ack=first_component(16).strip().upper(),
    )


def answer_code(msh: MshHeader, original: AckCode) -> AckCode:
    """The code of the answer to a message whose original-mode answer is ``original``:
    unchanged in original mode, the commit code (CA / CE) in enhanced mode."""
    return COMMIT_CODE.get(original, original) if msh.enhanced else original


def ack_wanted(msh: MshHeader, code: AckCode) -> bool:
    """Whether the answer ``code`` is sent: always in original mode; in enhanced mode as
    MSH-15 says (AL always, NE never, ER only CE/CR, SU only CA)."""
    if not msh.enhanced:
        return True
    condition = msh.accept_condition
    if condition in ("AL", "NE"):
        return condition == "AL"
    return (code in ("CA", "AA")) == (condition == "SU")


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
    if msh.enhanced:  # MSH-13..16: an acknowledgement is itself never acknowledged
        header += ["", "", "NE", "NE"]
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
