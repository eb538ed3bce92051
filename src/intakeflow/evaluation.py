"""Scoring as ``spec/labels.md`` §5 defines it: intent accuracy and macro-F1; strict
entity-level P/R/F1 per type (exact type and boundaries), macro over the types present in
the gold data, micro; and the lenient redaction recall (share of gold PHI characters that
fall inside any predicted PHI span)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from intakeflow.spec import INSURANCE_TYPES, INTENTS, PHI_TYPES


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class SpanScores:
    per_type: dict[str, PRF] = field(default_factory=dict)
    support: Counter[str] = field(default_factory=Counter)

    @property
    def micro(self) -> PRF:
        total = PRF()
        for s in self.per_type.values():
            total.tp, total.fp, total.fn = total.tp + s.tp, total.fp + s.fp, total.fn + s.fn
        return total

    @property
    def macro_f1(self) -> float:
        present = [t for t in self.per_type if self.support[t] > 0]
        return sum(self.per_type[t].f1 for t in present) / len(present) if present else 0.0


@dataclass
class Report:
    n: int
    intent_accuracy: float
    intent_macro_f1: float
    intent_per_label: dict[str, PRF]
    phi: SpanScores
    insurance: SpanScores
    redaction_recall: float
    #: share of redacted characters that are not gold PHI (the price of recall)
    over_redaction: float = 0.0
    #: share of messages flagged needs_review, and of messages misrouted without the flag
    flagged: float = 0.0
    misrouted_unflagged: float = 0.0

    def to_json(self) -> dict[str, Any]:
        def table(s: SpanScores) -> dict[str, Any]:
            return {
                "macro_f1": round(s.macro_f1, 4),
                "micro_f1": round(s.micro.f1, 4),
                "per_type": {
                    t: {"p": round(v.precision, 4), "r": round(v.recall, 4), "f1": round(v.f1, 4), "support": s.support[t]}
                    for t, v in s.per_type.items()
                },
            }

        return {
            "n": self.n,
            "intent": {"accuracy": round(self.intent_accuracy, 4), "macro_f1": round(self.intent_macro_f1, 4)},
            "phi": table(self.phi),
            "insurance": table(self.insurance),
            "redaction_recall": round(self.redaction_recall, 4),
            "over_redaction": round(self.over_redaction, 4),
            "routing": {"flagged": round(self.flagged, 4), "misrouted_unflagged": round(self.misrouted_unflagged, 4)},
        }


def _spans(rec: dict[str, Any], key: str) -> set[tuple[int, int, str]]:
    return {(int(s["start"]), int(s["end"]), str(s["label"])) for s in rec.get(key) or []}


def _score_spans(gold: list[dict[str, Any]], pred: list[dict[str, Any]], key: str, types: tuple[str, ...]) -> SpanScores:
    out = SpanScores(per_type={t: PRF() for t in types})
    for g, p in zip(gold, pred):
        gs, ps = _spans(g, key), _spans(p, key)
        for s in gs:
            out.support[s[2]] += 1
            out.per_type.setdefault(s[2], PRF())
            if s in ps:
                out.per_type[s[2]].tp += 1
            else:
                out.per_type[s[2]].fn += 1
        for s in ps - gs:
            out.per_type.setdefault(s[2], PRF()).fp += 1
    # types never in the gold data are kept only when something was predicted for them
    out.per_type = {t: v for t, v in out.per_type.items() if out.support[t] or v.fp}
    return out


def _redaction(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> tuple[float, float]:
    """(recall, over-redaction) of what was redacted: the ``redacted_spans`` a prediction
    carries (the recall-leaning redaction answer), else its strict PHI spans."""
    covered = total = redacted = outside = 0
    for g, p in zip(gold, pred):
        mask: set[int] = set()
        for s, e, _ in _spans(p, "redacted_spans" if "redacted_spans" in p else "phi"):
            mask.update(range(s, e))
        gold_chars: set[int] = set()
        for s, e, _ in _spans(g, "phi"):
            gold_chars.update(range(s, e))
            total += e - s
            covered += sum(1 for i in range(s, e) if i in mask)
        redacted += len(mask)
        outside += len(mask - gold_chars)
    return (covered / total if total else 1.0), (outside / redacted if redacted else 0.0)


def score(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> Report:
    """Score predictions against gold records, matched by ``id``."""
    by_id = {p["id"]: p for p in pred}
    missing = [g["id"] for g in gold if g["id"] not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} gold ids have no prediction (first: {missing[0]})")
    pred = [by_id[g["id"]] for g in gold]
    per_label = {label: PRF() for label in INTENTS}
    correct = 0
    for g, p in zip(gold, pred):
        gi, pi = g["intent"], p.get("intent")
        if gi == pi:
            correct += 1
            per_label[gi].tp += 1
        else:
            per_label[gi].fn += 1
            if pi in per_label:
                per_label[pi].fp += 1
    present = [label for label in INTENTS if per_label[label].tp + per_label[label].fn]
    recall, over = _redaction(gold, pred)
    n = len(gold) or 1
    flagged = sum(1 for p in pred if p.get("needs_review")) / n
    unflagged_wrong = sum(1 for g, p in zip(gold, pred) if g["intent"] != p.get("intent") and not p.get("needs_review")) / n
    return Report(
        n=len(gold),
        intent_accuracy=correct / len(gold) if gold else 0.0,
        intent_macro_f1=sum(per_label[label].f1 for label in present) / len(present) if present else 0.0,
        intent_per_label=per_label,
        phi=_score_spans(gold, pred, "phi", PHI_TYPES),
        insurance=_score_spans(gold, pred, "insurance", INSURANCE_TYPES),
        redaction_recall=recall,
        over_redaction=over,
        flagged=flagged,
        misrouted_unflagged=unflagged_wrong,
    )


def format_report(r: Report, baseline: dict[str, float] | None = None) -> str:
    """Plain-text tables; ``baseline`` adds a column of reference F1 per type."""
    lines = [
        f"messages: {r.n}",
        f"intent   accuracy {r.intent_accuracy:.3f}   macro-F1 {r.intent_macro_f1:.3f}",
        "",
    ]
    for title, s in (("PHI", r.phi), ("insurance", r.insurance)):
        head = f"{title:<16}{'support':>8}{'P':>8}{'R':>8}{'F1':>8}"
        if baseline:
            head += f"{'ref F1':>8}"
        lines += [head, "-" * len(head)]
        for t, v in sorted(s.per_type.items(), key=lambda kv: -s.support[kv[0]]):
            row = f"{t:<16}{s.support[t]:>8}{v.precision:>8.3f}{v.recall:>8.3f}{v.f1:>8.3f}"
            if baseline:
                row += f"{baseline[t]:>8.2f}" if t in baseline else f"{'':>8}"
            lines.append(row)
        m = s.micro
        lines.append(f"{'micro':<16}{sum(s.support.values()):>8}{m.precision:>8.3f}{m.recall:>8.3f}{m.f1:>8.3f}")
        lines.append(f"{'macro':<16}{'':>8}{'':>8}{'':>8}{s.macro_f1:>8.3f}")
        lines.append("")
    lines.append(f"redaction recall (PHI characters covered by any PHI span): {r.redaction_recall:.4f}")
    lines.append(f"over-redaction (redacted characters that are not PHI): {r.over_redaction:.3f}")
    lines.append(f"routing: {r.flagged:.1%} flagged needs_review, {r.misrouted_unflagged:.1%} misrouted and not flagged")
    for label, v in r.intent_per_label.items():
        lines.append(f"  intent {label:<28} P {v.precision:.3f} R {v.recall:.3f} F1 {v.f1:.3f}")
    return "\n".join(lines)


#: presidio-research entity types that are identifiers in the Safe Harbor sense (issue 9's figure)
PRESIDIO_IDENTIFIERS: tuple[str, ...] = (
    "PERSON", "STREET_ADDRESS", "ZIP_CODE", "PHONE_NUMBER", "EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
    "US_SSN", "IP_ADDRESS", "US_DRIVER_LICENSE",
)  # fmt: skip


@dataclass
class CharRecall:
    """Character recall per entity type of a set labelled in another scheme."""

    covered: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    redacted: int = 0
    outside: int = 0

    def recall(self, types: tuple[str, ...] | None = None) -> float:
        keys = types or tuple(self.total)
        tot = sum(self.total[t] for t in keys)
        return sum(self.covered[t] for t in keys) / tot if tot else 1.0

    @property
    def outside_share(self) -> float:
        return self.outside / self.redacted if self.redacted else 0.0


def char_recall(records: list[tuple[str, list[tuple[int, int, str]], list[tuple[int, int]]]]) -> CharRecall:
    """``records``: (text, gold spans ``(start, end, type)``, redacted ranges). Whitespace
    (a line break inside an address) counts neither as covered nor as missed, nor as redacted."""
    out = CharRecall()
    for text, gold, redacted in records:
        mask = {i for s, e in redacted for i in range(s, e) if not text[i].isspace()}
        gold_chars: set[int] = set()
        for s, e, t in gold:
            chars = [i for i in range(s, e) if not text[i].isspace()]
            gold_chars.update(chars)
            out.total[t] += len(chars)
            out.covered[t] += sum(1 for i in chars if i in mask)
        out.redacted += len(mask)
        out.outside += len(mask - gold_chars)
    return out
