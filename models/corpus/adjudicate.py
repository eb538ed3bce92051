"""Adjudicated labels, applied at build time over the writers' own.

The agreement study found RELATIONSHIP (kappa 0.873) the least agreed label, and the
leave-one-writer-out errors showed why: one writer tags "my husband's plan", the next leaves
it. Adjudicators re-read, against the spec and one written reading of it per round
(``adjudication/*.md``), every message a round concerns, keeping the writer's span where it
was right:

* ``relationship-subscriber``: RELATIONSHIP and SUBSCRIBER_NAME in the 1,227 messages that
  speak of coverage and a relative or already carried either label;
* ``identifiers``: SSN, LICENSE, VEHICLE, DEVICE, BIOMETRIC, PHOTO_REF, URL, IP and FAX in the
  1,236 messages that carry one or name one (a cue word, a file extension, a web address).

Each changed message is one line of ``adjudication/<round>.jsonl``: the whole adjudicated set of
the round's labels, as exact text and whole-word occurrence, and a note saying why. Applied to
every writer alike, committed or rebuilt; applying twice changes nothing. A span that would
overlap a span of another label, and an added SUBSCRIBER_NAME without a PHI NAME over the same
characters (the spec's paired labels), are left out and counted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "adjudication"
#: each round's answer field and the labels it owns
ROUNDS: dict[str, tuple[str, frozenset[str]]] = {
    "relationship-subscriber": ("insurance", frozenset({"RELATIONSHIP", "SUBSCRIBER_NAME"})),
    "identifiers": (
        "phi",
        frozenset({"SSN", "LICENSE", "VEHICLE", "DEVICE", "BIOMETRIC", "PHOTO_REF", "URL", "IP", "FAX"}),
    ),
}


def load(folder: Path = HERE) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """(round, decision) pairs by message id."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name in ROUNDS:
        path = folder / f"{name}.jsonl"
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out.setdefault(rec["id"], []).append((name, rec))
    return out


def _offsets(text: str, value: str, occurrence: int) -> tuple[int, int] | None:
    hits = list(re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text))
    if not 1 <= occurrence <= len(hits):
        return None
    return hits[occurrence - 1].span()


def apply(rec: dict[str, Any], round_name: str, decision: dict[str, Any], counts: Counter[str]) -> None:
    """Replace ``rec``'s spans of the round's labels by the adjudicated ones."""
    field, labels = ROUNDS[round_name]
    text = rec["text"]
    names = {(s["start"], s["end"]) for s in rec["phi"] if s["label"] == "NAME"}
    kept = [s for s in rec[field] if s["label"] not in labels]
    writers = {(s["start"], s["end"], s["label"]): s for s in rec[field] if s["label"] in labels}
    wanted: list[dict[str, Any]] = []
    for item in decision["spans"]:
        label = item["label"]
        where = _offsets(text, item["text"], item.get("occurrence", 1))
        if label not in labels or where is None:
            raise ValueError(f"{rec['id']}: adjudicated {label} is not this round's or not in the text")
        if label == "SUBSCRIBER_NAME" and where not in names:
            counts["SUBSCRIBER_NAME without a PHI NAME span: left out"] += 1
            continue
        if any(s["start"] < where[1] and where[0] < s["end"] for s in kept + wanted):
            counts[f"{label} overlapping another span: left out"] += 1
            continue
        key = (where[0], where[1], label)
        if key in writers:
            wanted.append(writers[key])  # the writer's (or an earlier build's) record, marks and all
        else:
            wanted.append({"start": where[0], "end": where[1], "label": label, "text": text[where[0] : where[1]]})
            wanted[-1]["adjudicated"] = True
            counts[f"{label} added"] += 1
    after = {(s["start"], s["end"], s["label"]) for s in wanted}
    for key in writers.keys() - after:
        counts[f"{key[2]} removed"] += 1
    rec[field] = sorted(kept + wanted, key=lambda s: (s["start"], s["end"]))


def apply_all(corpus: dict[str, list[dict[str, Any]]], decisions: dict[str, list[tuple[str, dict[str, Any]]]]) -> Counter[str]:
    """Apply every decision to the corpus in place; counts of what changed."""
    counts: Counter[str] = Counter()
    for recs in corpus.values():
        for rec in recs:
            for round_name, decision in decisions.get(rec["id"], []):
                apply(rec, round_name, decision, counts)
                counts[f"{round_name} messages"] += 1
    return counts
