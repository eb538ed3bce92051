"""Spec conformance of the writers' gold, applied at build time to every writer alike.

Writers followed the spec closely but not one of its own examples: the spec tags the
relationship word in ``my husband's plan`` as RELATIONSHIP (§3), and most writers left
that possessive form untagged (the agreement study found RELATIONSHIP the least agreed
insurance label). This pass adds exactly that form and nothing else: in a sentence where the
writer speaks of their own coverage ("I'm on ...", and no other patient named before it), a
relationship word in the possessive right before the plan, insurance, coverage or policy it
names ("my dad's Blue Cross insurance", "my husbands plan" as thumb-typed), where no
insurance span is already there. Each addition is counted in the datasheet.

A second pass undoes a mistake of our own: the brief of w19 called NPI numbers "licence
numbers", so that writer tagged a referring clinician's NPI as LICENSE. The project reads
the spec otherwise (an NPI identifies a clinician, not the patient, and the spec has no type
for it: ``src/intakeflow/pipeline/recognizers/npi.py``), so the pass removes PHI spans over a ten-digit
number right after an "NPI" cue.
"""

from __future__ import annotations

import re
from typing import Any

RELATION_WORDS = (
    "husband|wife|spouse|partner|mom|mother|dad|father|parents?|stepfather|stepmother|stepdad|stepmom|"
    "grandmother|grandfather|grandma|grandpa|guardian"
)  # not son or daughter: "my son's insurance" names the patient's own plan, no subscriber
#: the spec's example form: possessive relationship word, at most three words, then the plan
POSSESSIVE_PLAN = re.compile(
    rf"\b(?:my|his|her|their|our)\s+(?P<rel>(?:{RELATION_WORDS})(?:s(?=['\u2019]|\s))?)(?P<poss>['\u2019]s?)?"
    r"\s+(?:[\w&-]+\s+){0,3}?(?:plan|insurance|coverage|policy)\b",
    re.IGNORECASE,
)

_HOLDER_BEFORE = re.compile(r"policy ?holder|subscriber", re.IGNORECASE)
_SENTENCE_START = re.compile(r"(?:^|[.!?\n])[^.!?\n]*\Z")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I\u2019m|im|me)\b", re.IGNORECASE)
_OTHER_PATIENT = re.compile(r"\b(?:he|she|he's|she's|they|son|daughter|baby|kids?|child|children)\b", re.IGNORECASE)


def relationship_by_spec(rec: dict[str, Any]) -> int:
    """Add the spec's possessive RELATIONSHIP spans to ``rec`` in place; return how many."""
    text, spans = rec["text"], rec["insurance"]
    added = 0
    for m in POSSESSIVE_PLAN.finditer(text):
        s, e = m.span("rel")
        if not m.group("poss") and (not text[s:e].endswith("s") or text[s:e].lower() == "parents"):
            continue  # no possessive ("my wife plan"), or a verb ("my parents plan to")
        if any(x["start"] < e and s < x["end"] for x in spans):
            continue
        if _HOLDER_BEFORE.search(text, max(0, m.start() - 40), m.start()):
            continue  # "I'm the policyholder on my wife's insurance": the writer holds it
        clause = text[_SENTENCE_START.search(text, 0, m.start()).start() : m.start()]  # type: ignore[union-attr]
        if not _FIRST_PERSON.search(clause) or _OTHER_PATIENT.search(clause):
            continue  # the spec's form is the writer's own plan; "he's on my husband's plan" names no patient's relation
        # marked, so the datasheet can count them and a reader can tell them from the writer's
        spans.append({"start": s, "end": e, "label": "RELATIONSHIP", "text": text[s:e], "conformed": True})
        added += 1
    spans.sort(key=lambda x: (x["start"], x["end"]))
    return added


_NPI = re.compile(r"\bNPI\b[:#\s]*(?:is\s+|number\s+|no\.?\s+)?(\d{10})\b", re.IGNORECASE)


def npi_not_phi(rec: dict[str, Any]) -> int:
    """Remove PHI spans over NPI numbers from ``rec`` in place; return how many."""
    npis = [m.span(1) for m in _NPI.finditer(rec["text"])]
    keep = [x for x in rec["phi"] if not any(x["start"] <= s and e <= x["end"] for s, e in npis)]
    removed = len(rec["phi"]) - len(keep)
    rec["phi"] = keep
    return removed
