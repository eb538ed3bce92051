"""The corpus checker: every rule of ``shared/spec/labels.md`` a machine can test, on writer files.

Run on a writer's markup file (``.txt``) or on gold JSONL::

    python3 -m models.corpus.check FILE [FILE ...] [--show]

It prints one line per problem (file, message, rule) and exits 1 when any message breaks
a rule. ``--show`` adds the offending value, for a writer fixing their own fictional text;
by default values are left out, like everywhere else in the product.

Rules are those of :func:`models.generator.validate.validate_record` (offsets, overlaps, cue
words and titles outside spans, no trailing punctuation, paired PHI/insurance labels, amounts
never PHI), plus what only shows in free text written by people:

- every occurrence of a tagged value is tagged (a surname that is PHI once is PHI everywhere);
- a full name is one span (two NAME spans separated by a space are one name cut in two);
- a currency sign or cents next to an amount belong inside it;
- a weekday before a date, a state alone, a year alone, a time alone are not what they are tagged as;
- an age tagged AGE_OVER_89 reads as 90 or more;
- e-mail addresses, web addresses, SSNs and telephone-shaped numbers left untagged.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

from intakeflow.spec import US_STATE_CODES, US_STATES

from ..generator.validate import validate_record
from .markup import MarkupError, read_marked, to_gold

_WEEKDAY = r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|rsday|urday)?\.?"
_WEEKDAY_START = re.compile(rf"^{_WEEKDAY},?\s", re.IGNORECASE)
_WEEKDAY_ONLY = re.compile(rf"^{_WEEKDAY}$", re.IGNORECASE)
_TIME_ONLY = re.compile(r"^\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m|p\.m)?$", re.IGNORECASE)
_STATES = {s.lower() for s in US_STATES} | {"usa", "us", "united states"}
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_PHONE = re.compile(r"(?<![\w$.-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?![\w-])")
_AMOUNT_LABELS = {"COPAY", "DEDUCTIBLE", "BILLED_AMOUNT"}
_NAME_STOP = {
    "The", "And", "But", "For", "You", "Your", "Our", "This", "That", "Thanks", "Thank", "Hello", "Dear", "Hey",
    "May", "June", "April", "August", "Will", "Grace", "Mark", "Bill", "Rose", "Hope", "Faith", "Joy", "Sunny",
}  # fmt: skip


def _age_value(piece: str) -> int | None:
    s = piece.lower().replace("-", " ")
    if s.isdigit():
        return int(s)
    if s.startswith("ninety"):
        return 90
    if "hundred" in s:
        return 100
    return None


def _covered(spans: list[dict[str, Any]], start: int, end: int) -> bool:
    return any(s["start"] <= start and end <= s["end"] for s in spans)


def extra_problems(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """Free-text rules beyond ``validate_record``: (rule, offending value) pairs."""
    text: str = rec["text"]
    phi: list[dict[str, Any]] = rec["phi"]
    ins: list[dict[str, Any]] = rec["insurance"]
    spans = phi + ins
    out: list[tuple[str, str]] = []
    for s in phi:
        piece = text[s["start"] : s["end"]]
        lab = s["label"]
        if lab == "DATE":
            if _WEEKDAY_START.match(piece):
                out.append(("weekday inside DATE (the weekday stays outside)", piece))
            if _WEEKDAY_ONLY.match(piece) or _TIME_ONLY.match(piece):
                out.append(("a weekday or a time alone is not a DATE", piece))
        if lab == "LOC" and (piece.lower() in _STATES or piece in US_STATE_CODES):
            out.append(("a state or country alone is not LOC", piece))
        if lab == "AGE_OVER_89":
            v = _age_value(piece)
            if v is None or v < 90:
                out.append(("AGE_OVER_89 must read as 90 or more", piece))
        if lab in ("NAME",) and piece.endswith("."):
            out.append(("a trailing initial's period stays outside NAME", piece))
    # a full name is one span
    names = sorted((s for s in phi if s["label"] == "NAME"), key=lambda s: s["start"])
    for a, b in itertools.pairwise(names):
        gap = text[a["end"] : b["start"]]
        if gap.strip() == "" and "\n" not in gap:
            out.append(("a full name is one NAME span, not two", text[a["start"] : b["end"]]))
    # amounts: sign and cents inside
    for s in ins:
        if s["label"] not in _AMOUNT_LABELS:
            continue
        before = text[max(0, s["start"] - 1) : s["start"]]
        after = text[s["end"] : s["end"] + 3]
        if before in "$€£" and before:
            out.append(("the currency sign belongs inside the amount", text[s["start"] - 1 : s["end"]]))
        if re.match(r"\.\d\d", after):
            out.append(("cents belong inside the amount", text[s["start"] : s["end"] + 3]))
    # every occurrence of a tagged value is tagged with the same PHI label
    seen: set[tuple[str, str]] = set()
    for s in phi:
        value = text[s["start"] : s["end"]]
        key = (value, s["label"])
        if key in seen or len(value) < 3:
            continue
        seen.add(key)
        for m in re.finditer(rf"(?<!\w){re.escape(value)}(?!\w)", text):
            same = [t for t in phi if t["start"] <= m.start() and m.end() <= t["end"]]
            if not same:
                out.append((f"value tagged {s['label']} elsewhere is untagged here", value))
    # a name's parts are names wherever they appear
    for s in names:
        for part in re.findall(r"[A-Z][\w'’-]{2,}", text[s["start"] : s["end"]]):
            if part in _NAME_STOP:
                continue
            for m in re.finditer(rf"(?<![\w'’-]){re.escape(part)}(?![\w'’-])", text):
                if not _covered(phi, m.start(), m.end()) and not _covered(ins, m.start(), m.end()):
                    out.append(("part of a tagged name is untagged elsewhere", part))
                    break
    # identifier shapes nobody tagged
    for rx, what in ((_EMAIL, "EMAIL"), (_URL, "URL"), (_SSN, "SSN"), (_PHONE, "PHONE or FAX")):
        for m in rx.finditer(text):
            st, en = m.start(), m.end()
            val = m.group(0).rstrip(".,;:!?)")
            en = st + len(val)
            if not any(s["start"] < en and st < s["end"] for s in spans):
                out.append((f"untagged {what}-shaped value", val))
    return out


def check_record(rec: dict[str, Any]) -> list[tuple[str, str]]:
    """All problems of one gold record: (rule, value) pairs; value may be empty."""
    # spoken or bare amounts ("copay is 35") are written without a sign by real people; the
    # generator's rule that an amount carries its currency is the generator's, not the spec's
    probs = [(p, "") for p in validate_record(rec) if "amount without currency" not in p]
    return probs + extra_problems(rec)


def load(path: Path) -> list[tuple[int, dict[str, Any] | None, list[tuple[str, str]]]]:
    """(line, record or None, problems) for every message of a markup or JSONL file."""
    rows: list[tuple[int, dict[str, Any] | None, list[tuple[str, str]]]] = []
    if path.suffix == ".jsonl":
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                rec = json.loads(line)
                rows.append((n, rec, check_record(rec)))
        return rows
    for i, msg in enumerate(read_marked(path.read_text(encoding="utf-8"))):
        try:
            rec = to_gold(msg, f"{path.stem}-{i:04d}")
        except MarkupError as exc:
            rows.append((msg.line, None, [(f"markup: {exc}", "")]))
            continue
        rows.append((msg.line, rec, check_record(rec)))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--show", action="store_true", help="print the offending value (fictional writer data only)")
    args = ap.parse_args(argv)
    total = bad = 0
    for path in args.files:
        for line, _rec, probs in load(path):
            total += 1
            if probs:
                bad += 1
            for rule, value in probs:
                shown = f" [{value}]" if args.show and value else ""
                print(f"{path}:{line}: {rule}{shown}")
    print(f"{total} messages, {bad} with problems")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
