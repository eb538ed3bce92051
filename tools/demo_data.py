"""A synthetic demo archive: HL7 v2 files and FHIR Communications around generated texts.

The message texts come from the training-data generator (synthetic people and numbers);
this module only wraps them in the envelopes a real intake feed uses: ORU^R01 with OBX TX
notes, ADT^A08 with NTE comments, MDM^T02 documents, and FHIR R4 Communication resources.
A small share of HL7 messages is deliberately left without any text so the demo shows the
quarantine path.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from intakeflow.sources.fhir_source import CHANNEL_SYSTEM

HL7_TYPES: tuple[str, ...] = ("ORU^R01", "ADT^A08", "MDM^T02")
_SENDING_FACILITY = "DEMOFAC"
_ID_AUTHORITY = "DEMOMRN"


@dataclass(frozen=True)
class DemoText:
    id: str
    text: str
    channel: str | None = None
    intent: str | None = None


@dataclass
class ArchiveSummary:
    """What was written; counts only."""

    files: int = 0
    messages: int = 0
    without_text: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    days: list[str] = field(default_factory=list)


def demo_texts(n: int, seed: int) -> list[DemoText]:
    """``n`` synthetic messages from the generator (``generate(n, seed)``)."""
    from models.generator import generate

    return [
        DemoText(id=str(r["id"]), text=str(r["text"]), channel=r.get("channel"), intent=r.get("intent"))
        for r in generate(n, seed)
    ]


# -- HL7 v2 ------------------------------------------------------------------------------------


def escape_hl7(text: str) -> str:
    """Escape a text for a TX/FT field; lines become field repetitions."""
    escaped = (
        text.replace("\\", "\\E\\")
        .replace("|", "\\F\\")
        .replace("^", "\\S\\")
        .replace("&", "\\T\\")
        .replace("~", "\\R\\")
    )
    lines = escaped.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "~".join(lines)


def hl7_message(
    kind: str,
    *,
    control_id: str,
    when: datetime,
    patient_id: str,
    text: str | None,
    facility: str = _SENDING_FACILITY,
) -> str:
    """One HL7 v2.5.1 message of type ``kind`` (segments joined by CR); ``text=None``
    writes the message without any OBX/NTE text."""
    if kind not in HL7_TYPES:
        raise ValueError(f"unknown demo HL7 type {kind}")
    ts = when.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    event = kind.split("^")[1]
    structure = {"ORU^R01": "ORU_R01", "ADT^A08": "ADT_A01", "MDM^T02": "MDM_T02"}[kind]
    segments = [
        f"MSH|^~\\&|DEMOAPP|{facility}|INTAKEFLOW|INTAKE|{ts}||{kind}^{structure}|{control_id}|P|2.5.1",
        f"PID|1||{patient_id}^^^{_ID_AUTHORITY}^MR||Demo^Patient",
    ]
    body = escape_hl7(text) if text is not None else None
    if kind == "ORU^R01":
        segments.append(f"OBR|1|{control_id}||MSG^Patient message^L|||{ts}")
        if body is not None:
            segments.append(f"OBX|1|TX|MSG^Patient message^L||{body}||||||F")
    elif kind == "ADT^A08":
        segments.insert(1, f"EVN|{event}|{ts}")
        segments.append("PV1|1|O")
        if body is not None:
            segments.append(f"NTE|1|P|{body}")
    else:
        segments.insert(1, f"EVN|{event}|{ts}")
        segments.append("PV1|1|O")
        segments.append(f"TXA|1|PN|TX|{ts}||||||||{control_id}||||||AU")
        if body is not None:
            segments.append(f"OBX|1|TX|DOC^Patient message^L||{body}||||||F")
    return "\r".join(segments)


def day_folder(root: Path, day: datetime) -> Path:
    return root / f"{day.year:04d}" / f"{day.month:02d}" / f"{day.day:02d}"


def write_hl7_archive(
    root: Path,
    texts: Sequence[DemoText],
    first_day: datetime,
    *,
    days: int = 2,
    files_per_day: int = 4,
    without_text_every: int = 60,
    seed: int = 0,
    on_file: Callable[[int], object] | None = None,
) -> ArchiveSummary:
    """Spread ``texts`` over ``days`` day folders of ``<root>/YYYY/MM/DD/`` and
    ``files_per_day`` files each; every ``without_text_every``-th message carries no text.
    ``on_file`` is called with the number of messages of each file written (a progress bar)."""
    if days < 1 or files_per_day < 1:
        raise ValueError("days and files_per_day must be at least 1")
    rng = random.Random(seed)
    start = first_day.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    buckets: dict[tuple[int, int], list[str]] = {}
    summary = ArchiveSummary()
    for i, item in enumerate(texts):
        day, slot = divmod(i % (days * files_per_day), files_per_day)
        when = start + timedelta(days=day, seconds=rng.randrange(86_400))
        kind = HL7_TYPES[i % len(HL7_TYPES)]
        no_text = without_text_every > 0 and i % without_text_every == without_text_every - 1
        msg = hl7_message(
            kind,
            control_id=f"DEMO{seed:03d}{i:07d}",
            when=when,
            patient_id=f"{rng.randrange(10**7):07d}",
            text=None if no_text else item.text,
        )
        buckets.setdefault((day, slot), []).append(msg)
        summary.messages += 1
        summary.without_text += int(no_text)
        summary.by_type[kind] += 1
    for (day, slot), messages in sorted(buckets.items()):
        folder = day_folder(root, start + timedelta(days=day))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"feed-{slot:03d}.hl7").write_bytes(("\r\n".join(messages) + "\r\n").encode("utf-8"))
        summary.files += 1
        if on_file is not None:
            on_file(len(messages))
    summary.days = [(start + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)]
    return summary


# -- FHIR R4 -----------------------------------------------------------------------------------


def communication(item: DemoText, *, patient_id: str, when: datetime) -> dict[str, Any]:
    """A Communication from a patient, text in ``payload.contentString``."""
    resource: dict[str, Any] = {
        "resourceType": "Communication",
        "identifier": [{"system": "urn:intakeflow:demo", "value": item.id}],
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "sender": {"reference": f"Patient/{patient_id}"},
        "sent": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "payload": [{"contentString": item.text}],
    }
    if item.channel:
        resource["medium"] = [{"coding": [{"system": CHANNEL_SYSTEM, "code": item.channel}]}]
    return resource


def communications(texts: Iterable[DemoText], *, seed: int = 0, now: datetime | None = None) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    moment = now or datetime.now(UTC)
    return [
        communication(t, patient_id=f"demo-{rng.randrange(10**6):06d}", when=moment - timedelta(minutes=rng.randrange(600)))
        for t in texts
    ]
