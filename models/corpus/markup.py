"""The writers' markup: messages written with their labels inline, turned into gold JSONL.

Writers never count offsets by hand (an off-by-one there is a silent label error); they
write ``[[LABEL:value]]`` around every labelled value, or ``[[PHI_TYPE+INSURANCE_TYPE:value]]``
where one value carries both answers (a member ID is ``HEALTH_PLAN+MEMBER_ID``). A file is a
sequence of messages, each opened by a header line::

    ### intent=billing_inquiry channel=sms
    hi its [[NAME:Iniko Adeleke]], my [[CARRIER:Aetna]] id is [[HEALTH_PLAN+MEMBER_ID:W123456789]]

The message text is every line up to the next header, with surrounding blank lines removed
(inner line breaks are kept: an address over several lines stays over several lines).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from intakeflow.spec import INSURANCE_TYPES, PHI_TYPES

HEADER_RE = re.compile(r"^###\s+(.*)$")
_TAG_RE = re.compile(r"\[\[([A-Z_0-9+]+):(.*?)\]\]", re.DOTALL)


class MarkupError(ValueError):
    """A message whose markup cannot be read (unknown label, unclosed or nested tag)."""


@dataclass
class Marked:
    """One message as the writer wrote it: header fields and the marked-up body."""

    fields: dict[str, str]
    body: str
    line: int
    problems: list[str] = field(default_factory=list)


def read_marked(text: str) -> Iterator[Marked]:
    """Split a writer's file into messages at ``###`` header lines."""
    cur: Marked | None = None
    lines: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        m = HEADER_RE.match(line)
        if m:
            if cur is not None:
                cur.body = "\n".join(lines).strip()
                yield cur
            fields = dict(kv.split("=", 1) for kv in m.group(1).split() if "=" in kv)
            cur, lines = Marked(fields=fields, body="", line=n), []
        elif cur is not None:
            lines.append(line.rstrip())
    if cur is not None:
        cur.body = "\n".join(lines).strip()
        yield cur


def unmark(body: str) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """Plain text plus PHI and insurance spans (with ``text``) of one marked-up body."""
    out: list[str] = []
    phi: list[dict[str, Any]] = []
    ins: list[dict[str, Any]] = []
    pos = 0
    length = 0
    for m in _TAG_RE.finditer(body):
        before = body[pos : m.start()]
        if "[[" in before or "]]" in before:
            raise MarkupError("unbalanced [[ or ]] before a tag")
        out.append(before)
        length += len(before)
        labels, value = m.group(1).split("+"), m.group(2)
        if "[[" in value:
            raise MarkupError("nested tag")
        if not value or value != value.strip():
            raise MarkupError(f"{m.group(1)} value is empty or has surrounding whitespace")
        start, end = length, length + len(value)
        kinds = [lab in PHI_TYPES for lab in labels]
        if any(lab not in PHI_TYPES and lab not in INSURANCE_TYPES for lab in labels):
            raise MarkupError(f"unknown label in {m.group(1)}")
        if sum(kinds) > 1 or len(labels) - sum(kinds) > 1:
            raise MarkupError(f"{m.group(1)}: at most one PHI and one insurance label per value")
        for lab in labels:
            (phi if lab in PHI_TYPES else ins).append({"start": start, "end": end, "label": lab, "text": value})
        out.append(value)
        length = end
        pos = m.end()
    rest = body[pos:]
    if "[[" in rest or "]]" in rest:
        raise MarkupError("unbalanced [[ or ]] after the last tag")
    out.append(rest)
    return "".join(out), phi, ins


def to_gold(msg: Marked, rec_id: str) -> dict[str, Any]:
    """The gold record (spec section 4) of one marked message."""
    text, phi, ins = unmark(msg.body)
    return {
        "id": rec_id,
        "text": text,
        "channel": msg.fields.get("channel"),
        "intent": msg.fields.get("intent"),
        "phi": phi,
        "insurance": ins,
    }


def mark(rec: dict[str, Any]) -> str:
    """The markup of a gold record (inverse of :func:`unmark`), for review and re-annotation."""
    by_range: dict[tuple[int, int], list[str]] = {}
    for key in ("phi", "insurance"):
        for s in rec.get(key) or []:
            by_range.setdefault((s["start"], s["end"]), []).append(s["label"])
    text = rec["text"]
    out, pos = [], 0
    for (start, end), labels in sorted(by_range.items()):
        if start < pos:
            raise MarkupError("PHI and insurance spans cross; markup cannot show them")
        labels.sort(key=lambda lab: lab not in PHI_TYPES)
        out += [text[pos:start], f"[[{'+'.join(labels)}:{text[start:end]}]]"]
        pos = end
    out.append(text[pos:])
    return "".join(out)
