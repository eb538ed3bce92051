"""Build the committed writer corpus from the writers' markup files, and its datasheet.

    python3 -m models.corpus.build --raw /path/to/raw   # raw/wNN/part-*.txt
    python3 -m models.corpus.build                      # re-apply conformance and adjudication only

Writes ``models/corpus/data/wNN.jsonl`` (gold format of the spec, plus ``writer``) and
``models/corpus/DATASHEET.md``. A message the checker rejects is left out and counted in the
datasheet, never silently fixed; an exact duplicate text is kept once.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

from intakeflow.jsonl import read_gold
from intakeflow.spec import CHANNELS, INSURANCE_TYPES, INTENTS, PHI_TYPES

from . import adjudicate
from .check import load
from .conform import npi_not_phi, relationship_by_spec

HERE = Path(__file__).parent
DATA = HERE / "data"
BRIEFS = HERE / "briefs"
#: what the checker and the duplicate test left out, per writer (kept beside the data: a
#: rebuild of some writers keeps the others' counts)
LEFT_OUT = DATA / "left-out.json"


def build_writer(raw_dir: Path) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Accepted gold records of one writer, and counts of what was left out and why."""
    writer = raw_dir.name
    recs: list[dict[str, Any]] = []
    left_out: Counter[str] = Counter()
    seen: set[str] = set()
    for path in sorted(raw_dir.glob("part-*.txt")):
        for _line, rec, probs in load(path):
            if rec is None or probs:
                left_out["checker"] += 1
                continue
            if rec["text"] in seen:
                left_out["duplicate"] += 1
                continue
            seen.add(rec["text"])
            # the id follows the text, not its position: a writer's later edits elsewhere never
            # re-point a stored prediction at another message
            rec["id"] = f"{writer}-{hashlib.sha1(rec['text'].encode()).hexdigest()[:10]}"
            rec["writer"] = writer
            recs.append(rec)
    return recs, left_out


def load_corpus(data_dir: Path = DATA, exclude: frozenset[str] = frozenset()) -> dict[str, list[dict[str, Any]]]:
    """Writer -> gold records, from the committed JSONL files."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(data_dir.glob("w*.jsonl")):
        if path.stem in exclude:
            continue
        out[path.stem] = read_gold(path)
    return out


def _brief_title(writer: str) -> str:
    path = BRIEFS / f"{writer}.md"
    if not path.is_file():
        return ""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return first.split(":", 1)[-1].strip()


def datasheet(
    corpus: dict[str, list[dict[str, Any]]], left_out: dict[str, Counter[str]], conformed: int = 0, adjudicated: int = 0
) -> str:
    """The datasheet: who wrote what, counts per intent, channel and label type."""
    total = sum(len(v) for v in corpus.values())
    lines = [
        "# Datasheet: the writer corpus",
        "",
        f"{total} gold messages by {len(corpus)} independent writers (subagents, one brief each: "
        "`briefs/`). Every record passed the checker (`models/corpus/check.py`); rejected messages "
        "were left out, not repaired. Written for training and leave-one-writer-out evaluation; "
        "no writer saw the dev sample, `shared/external/`, the project's generator or another "
        "writer's files. All names, numbers and addresses are fiction.",
        "",
        "Built by `python3 -m models.corpus.build` from the writers' markup files. One spec-conformance "
        f"pass (`conform.py`) added {conformed} RELATIONSHIP spans of the spec's own example form "
        "(`my husband's plan` -> `husband`) that writers had left untagged, and removes PHI spans over "
        "clinicians' NPI numbers (w19's brief wrongly called them licence numbers; the spec has no type for them). "
        "Adjudication (`adjudicate.py`, `adjudication/`) re-read RELATIONSHIP and SUBSCRIBER_NAME in the 1,227 "
        "messages about coverage and relatives, and the nine rarer identifier types in the 1,236 messages that "
        f"carry or name one, each against one written reading of the spec; {adjudicated} spans in the corpus "
        "are its additions or new edges.",
        "",
        "## Writers",
        "",
        "| writer | style | messages | left out (checker / duplicate) | PHI spans | insurance spans | no-PHI messages |",
        "|---|---|---|---|---|---|---|",
    ]
    for w, recs in corpus.items():
        lo = left_out.get(w, Counter())
        phi = sum(len(r["phi"]) for r in recs)
        ins = sum(len(r["insurance"]) for r in recs)
        none = sum(1 for r in recs if not r["phi"])
        lines.append(f"| {w} | {_brief_title(w)} | {len(recs)} | {lo['checker']} / {lo['duplicate']} | {phi} | {ins} | {none} |")

    def table(title: str, keys: tuple[str, ...], count: Any) -> None:
        lines.extend(["", f"## {title}", "", "| | " + " | ".join(corpus) + " | all |", "|---" * (len(corpus) + 2) + "|"])
        for k in keys:
            row = [count(recs, k) for recs in corpus.values()]
            lines.append(f"| {k} | " + " | ".join(str(x) for x in row) + f" | {sum(row)} |")

    table("Messages per intent", INTENTS, lambda recs, k: sum(r["intent"] == k for r in recs))
    table("Messages per channel", CHANNELS, lambda recs, k: sum(r["channel"] == k for r in recs))
    table("PHI spans per type", PHI_TYPES, lambda recs, k: sum(s["label"] == k for r in recs for s in r["phi"]))
    table(
        "Insurance spans per type",
        INSURANCE_TYPES,
        lambda recs, k: sum(s["label"] == k for r in recs for s in r["insurance"]),
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--raw", type=Path, help="folder holding one wNN/ folder per writer (others stay as committed)"
    )
    args = ap.parse_args(argv)
    DATA.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus()
    left = {w: Counter(c) for w, c in json.loads(LEFT_OUT.read_text()).items()} if LEFT_OUT.is_file() else {}
    raw_dirs = sorted(p for p in args.raw.iterdir() if p.is_dir() and p.name.startswith("w")) if args.raw else []
    for raw_dir in raw_dirs:
        recs, left_out = build_writer(raw_dir)
        if not recs:
            continue
        corpus[raw_dir.name], left[raw_dir.name] = recs, left_out
        print(f"{raw_dir.name}: {len(recs)} messages, left out {dict(left_out)}")
    corpus = dict(sorted(corpus.items()))
    conformed = npi = 0
    for recs in corpus.values():
        conformed += sum(relationship_by_spec(r) for r in recs)
        npi += sum(npi_not_phi(r) for r in recs)
    adjudicated = adjudicate.apply_all(corpus, adjudicate.load())
    for w, recs in corpus.items():
        with open(DATA / f"{w}.jsonl", "w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    LEFT_OUT.write_text(json.dumps({w: dict(left.get(w, Counter())) for w in corpus}, indent=1) + "\n")
    total = sum(1 for recs in corpus.values() for r in recs for s in r["insurance"] if s.get("conformed"))
    print(f"conformance: {conformed} spans added this build, {total} in all; {npi} NPI spans removed")
    added = sum(1 for recs in corpus.values() for r in recs for s in r["phi"] + r["insurance"] if s.get("adjudicated"))
    print(f"adjudication: {dict(adjudicated)}; {added} adjudicated spans in all")
    (HERE / "DATASHEET.md").write_text(datasheet(corpus, left, total, added), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
