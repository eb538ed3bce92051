"""Span-rule checks for gold records: spec section 4 plus the conventions of section 2.

Problems name the rule, the answer and offsets only, never the span text (it is PHI-like).
"""

from __future__ import annotations

import re
from typing import Any

from intakeflow.spans import Span, check_spans
from intakeflow.spec import CHANNELS, INSURANCE_PHI_TYPE, INSURANCE_TYPES, INTENTS, PHI_TYPES

CUE_RE = re.compile(
    r"^(?:mrn|dob|d\.o\.b|dr|doctor|member|subscriber|sub|id|policy|group|grp|acct|account|claim|clm|auth|ref|ssn|social|"
    r"phone|ph|cell|fax|email|e-mail|tel|serial|s/n|dea|vin|plate|mr|mrs|ms|miss|nurse|the|my|on|at|in|of|chart|patient|pt|"
    r"invoice|statement|license|lic|dl|copay|deductible|born|age|call|zip|ip)(?:[\s.:#]|$)",
    re.IGNORECASE,
)
_TITLE_RE = re.compile(r"(?:^|\s)(?:dr|mr|mrs|ms|mx|miss|doctor|nurse|prof)\.?(?:\s|$)", re.IGNORECASE)
_YEAR_ONLY = re.compile(r"^(?:19|20)\d\d$")
_AMOUNTS = {"COPAY", "DEDUCTIBLE", "BILLED_AMOUNT"}


def _spans(rec: dict[str, Any], key: str, problems: list[str]) -> list[Span]:
    out: list[Span] = []
    for i, s in enumerate(rec.get(key) or []):
        try:
            sp = Span.from_json(s)
        except (KeyError, TypeError, ValueError):
            problems.append(f"{key}[{i}] is not a span object")
            continue
        out.append(sp)
    return out


def _span_checks(text: str, sp: Span, key: str, problems: list[str]) -> None:
    if not (0 <= sp.start < sp.end <= len(text)):
        return  # check_spans already reported it
    piece = text[sp.start : sp.end]
    where = f"{key} {sp.label} at {sp.start}-{sp.end}"
    if piece[-1] in ".,;:!?":
        problems.append(f"{where}: trailing punctuation inside span")
    if piece[0] in "#:,.;" or CUE_RE.match(piece):
        problems.append(f"{where}: cue word or cue symbol at span start")
    if sp.start > 0 and text[sp.start - 1].isalnum():
        problems.append(f"{where}: span starts inside a word")
    if sp.end < len(text) and text[sp.end].isalnum():
        problems.append(f"{where}: span ends inside a word")
    if sp.label == "NAME" and _TITLE_RE.search(piece):
        problems.append(f"{where}: title inside NAME")
    if sp.label == "DATE" and _YEAR_ONLY.match(piece):
        problems.append(f"{where}: year alone tagged as DATE")
    if sp.label == "AGE_OVER_89" and piece.isdigit() and int(piece) < 90:
        problems.append(f"{where}: age under 90 tagged")
    if key == "phi" and piece.startswith("$"):
        problems.append(f"{where}: amount tagged as PHI")
    if sp.label in _AMOUNTS and not (piece.startswith("$") or "dollar" in piece or "hundred" in piece or "thousand" in piece):
        problems.append(f"{where}: amount without currency")


def validate_record(rec: dict[str, Any]) -> list[str]:
    """Return the span-rule violations of one gold record (empty list when it is valid)."""
    problems: list[str] = []
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        return ["text missing or empty"]
    if rec.get("intent") not in INTENTS:
        problems.append("unknown intent")
    if rec.get("channel") not in CHANNELS:
        problems.append("unknown channel")
    phi = _spans(rec, "phi", problems)
    ins = _spans(rec, "insurance", problems)
    problems += [f"phi: {p}" for p in check_spans(text, phi, PHI_TYPES)]
    problems += [f"insurance: {p}" for p in check_spans(text, ins, INSURANCE_TYPES)]
    for key, spans in (("phi", phi), ("insurance", ins)):
        for sp in spans:
            _span_checks(text, sp, key, problems)
        for i, s in enumerate(rec.get(key) or []):
            if isinstance(s, dict) and "text" in s and s["text"] != text[int(s["start"]) : int(s["end"])]:
                problems.append(f"{key}[{i}]: text field differs from text[start:end]")
    phi_keys = {(s.start, s.end, s.label) for s in phi}
    for sp in ins:
        want = INSURANCE_PHI_TYPE.get(sp.label)
        if want and (sp.start, sp.end, want) not in phi_keys:
            problems.append(f"insurance {sp.label} at {sp.start}-{sp.end}: missing paired PHI {want} span")
    return problems
