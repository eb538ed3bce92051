"""Inter-annotator agreement: a blind second annotator re-labels a sample of the corpus.

    python3 -m models.corpus.agreement sample --n 336 --out DIR   # plain texts, no labels
    python3 -m models.corpus.agreement score --annotations DIR    # -> AGREEMENT.md

``sample`` draws the same number of messages from every writer and writes them without
any label, in the writers' markup format (``### id=… channel=…`` then the text), for an
annotator who never sees the writers' files. The annotator adds ``intent=`` to each header
and ``[[LABEL:value]]`` markup to the text. ``score`` compares the two labellings: intent
agreement and Cohen's kappa, and per label type the strict span F1 of one annotator
against the other (symmetric: F1 does not care which side is called gold).
"""

from __future__ import annotations

import argparse
import random
from collections import Counter
from pathlib import Path
from typing import Any

from intakeflow.evaluation import score
from intakeflow.spec import INTENTS

from .build import HERE, load_corpus
from .markup import MarkupError, read_marked, to_gold

#: below this a type's agreement says its brief or the spec needs rewording (issue 9)
TARGET = 0.95


def sample(n: int, out: Path, seed: int = 7, writers: list[str] | None = None) -> None:
    corpus = load_corpus()
    if writers:
        corpus = {w: recs for w, recs in corpus.items() if w in writers}
    per = max(1, n // len(corpus))
    rng = random.Random(seed)
    picked = [r for recs in corpus.values() for r in rng.sample(recs, min(per, len(recs)))]
    rng.shuffle(picked)
    out.mkdir(parents=True, exist_ok=True)
    for i in range(0, len(picked), 50):
        with open(out / f"blind-{i // 50 + 1:02d}.txt", "w", encoding="utf-8") as fh:
            for r in picked[i : i + 50]:
                fh.write(f"### id={r['id']} channel={r['channel']}\n{r['text']}\n")
    print(f"{len(picked)} messages in {out}")


def _kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    po = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in INTENTS) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def agreement(annotations: Path) -> tuple[str, dict[str, Any]]:
    # matched by text, which the annotator must keep character for character
    gold = {r["text"]: r for recs in load_corpus().values() for r in recs}
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []
    unreadable = unmatched = 0
    for path in sorted(annotations.glob("*.txt")):
        for msg in read_marked(path.read_text(encoding="utf-8")):
            try:
                rec = to_gold(msg, "")
            except MarkupError:
                unreadable += 1
                continue
            if rec["text"] not in gold:
                unmatched += 1  # text altered by the annotator, or no longer in the corpus
                continue
            g = gold[rec["text"]]
            rec["id"] = g["id"]
            first.append(g)
            second.append(rec)
    changed = unmatched
    rep = score(first, second)
    kappa = _kappa([r["intent"] for r in first], [r.get("intent") or "" for r in second])
    lines = [
        "# Inter-annotator agreement",
        "",
        f"A blind second annotator re-labelled {len(first)} messages drawn evenly from every writer "
        f"(`python3 -m models.corpus.agreement`), seeing only text and channel. "
        f"{unreadable} unreadable and {changed} text-altered re-annotations are left out. "
        "Span agreement is strict (same type, same boundaries) F1 of one labelling against the other.",
        "",
        f"- intent: agreement {rep.intent_accuracy:.3f}, Cohen's kappa {kappa:.3f}",
        f"- PHI spans: micro F1 {rep.phi.micro.f1:.3f}, macro F1 {rep.phi.macro_f1:.3f}",
        f"- insurance spans: micro F1 {rep.insurance.micro.f1:.3f}, macro F1 {rep.insurance.macro_f1:.3f}",
        f"- redaction coverage (writer's PHI characters inside the annotator's PHI spans): {rep.redaction_recall:.3f}",
        "",
        f"| answer | type | spans (writer) | agreement F1 | below {TARGET} |",
        "|---|---|---|---|---|",
    ]
    low = []
    for kind, s in (("PHI", rep.phi), ("insurance", rep.insurance)):
        for t, v in sorted(s.per_type.items(), key=lambda kv: -s.support[kv[0]]):
            flag = "yes" if v.f1 < TARGET else ""
            if flag:
                low.append(t)
            lines.append(f"| {kind} | {t} | {s.support[t]} | {v.f1:.3f} | {flag} |")
    return "\n".join(lines) + "\n", {"n": len(first), "kappa": kappa, "low": low, "report": rep.to_json()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sp = sub.add_parser("sample")
    sp.add_argument("--n", type=int, default=336)
    sp.add_argument("--out", type=Path, required=True)
    sp.add_argument("--writers", nargs="*", help="sample only these writers (default: all)")
    sp.add_argument("--seed", type=int, default=7)
    sp = sub.add_parser("score")
    sp.add_argument("--annotations", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.command == "sample":
        sample(args.n, args.out, args.seed, args.writers)
        return 0
    report_md, summary = agreement(args.annotations)
    (HERE / "AGREEMENT.md").write_text(report_md, encoding="utf-8")
    print(report_md)
    print(f"types below {TARGET}: {', '.join(summary['low']) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
