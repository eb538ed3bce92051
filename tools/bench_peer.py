"""Peer throughput: ``intakeflow predict`` against Presidio as a careful user runs it.

``python -m tools.bench_peer [--messages 1400] [--rounds 2]``

The same messages go to two commands, each timed from its launch to its exit, start-up
included (imports, model and spaCy pipeline loading, reading and writing JSONL):

* ``intakeflow predict IN -o OUT --processes 2``: the three answers (intent, PHI and its
  redaction, insurance fields) for every message; ``--intakeflow P:T ...`` runs other set-ups
  beside it (``P`` processes of ``T`` model threads each; ``1:2`` was the default before
  ``--processes``), the first of them giving the ratio;
* Presidio (PHI only), configured as in ``tools/presidio_baseline.py`` (spaCy's small English
  model, the US healthcare recognizers), through ``BatchAnalyzerEngine`` with spaCy's
  ``nlp.pipe`` in batches of ``--presidio-batch`` and ``--presidio-processes`` processes: the
  fastest set-up its documentation offers.

The messages are the first ``--messages`` of the writer corpus (``models/corpus/data``, text by
26 independent writers) taken in turn from each writer, so both see every style. Rounds
alternate the two commands. Prints messages per second of each, and their ratio beside the
issue's baseline and target. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import zip_longest
from pathlib import Path

from intakeflow.jsonl import read_gold

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "models" / "corpus" / "data"
#: issue 12, measured on main on 2026-12-05 (this machine kind): Presidio 123 messages/s,
#: ``intakeflow predict`` 166-190, ratio 1.35-1.5
BASELINE = {"presidio": 123.0, "intakeflow": 178.0, "ratio": 1.45}
TARGET_RATIO = 6.0


def corpus_messages(n: int) -> list[dict[str, str]]:
    """``n`` corpus records, one writer after the other in turn."""
    writers = [read_gold(path) for path in sorted(CORPUS.glob("w*.jsonl"))]
    out: list[dict[str, str]] = []
    for row in zip_longest(*writers):
        out += [{"id": str(r["id"]), "text": str(r["text"])} for r in row if r is not None]
    return out[:n]


def presidio_worker(src: Path, dst: Path, batch: int, processes: int) -> None:
    """Presidio over every text of ``src``; one prediction record per line into ``dst``."""
    from presidio_analyzer import BatchAnalyzerEngine

    from tools.presidio_baseline import ENTITY_MAP, build_analyzer

    records = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    engine = BatchAnalyzerEngine(analyzer_engine=build_analyzer())
    results = engine.analyze_iterator([r["text"] for r in records], language="en", batch_size=batch, n_process=processes)
    with dst.open("w", encoding="utf-8") as out:
        for record, hits in zip(records, results, strict=True):
            phi = [{"start": h.start, "end": h.end, "label": ENTITY_MAP[h.entity_type]}
                   for h in hits if h.entity_type in ENTITY_MAP and h.score >= 0.35]
            out.write(json.dumps({"id": record["id"], "phi": phi}) + "\n")


def _setup(value: str) -> tuple[int, int]:
    """``P:T``: P processes of T threads each."""
    try:
        processes, threads = (int(n) for n in value.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected P:T, e.g. 2:1") from None
    if processes < 1 or threads < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: both at least 1")
    return processes, threads


def timed(cmd: list[str]) -> float:
    """Wall seconds from launch to exit."""
    t = time.perf_counter()
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONPATH": path, "TOKENIZERS_PARALLELISM": "false"})
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--messages", type=int, default=1400)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--intakeflow", nargs="+", type=_setup, default=[(2, 1)], metavar="P:T",
                    help="intakeflow predict set-ups, P processes of T threads; the first gives the ratio")
    ap.add_argument("--presidio-batch", type=int, default=64)
    ap.add_argument("--presidio-processes", type=int, default=2)
    ap.add_argument("--presidio-worker", nargs=2, metavar=("IN", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.presidio_worker:
        presidio_worker(Path(args.presidio_worker[0]), Path(args.presidio_worker[1]), args.presidio_batch,
                        args.presidio_processes)
        return 0

    messages = corpus_messages(args.messages)
    setups: list[tuple[int, int]] = args.intakeflow
    ours_names = [f"intakeflow {p}:{t}" for p, t in setups]
    rates: dict[str, list[float]] = {name: [] for name in [*ours_names, "presidio"]}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")
        commands = {
            name: [sys.executable, "-m", "intakeflow.cli", "predict", str(src), "-o", str(Path(tmp) / "ours.jsonl"),
                   "--processes", str(p), "--threads", str(t), "--quiet"]
            for name, (p, t) in zip(ours_names, setups, strict=True)
        } | {
            "presidio": [sys.executable, "-m", "tools.bench_peer", "--presidio-batch", str(args.presidio_batch),
                         "--presidio-processes", str(args.presidio_processes),
                         "--presidio-worker", str(src), str(Path(tmp) / "presidio.jsonl")],
        }
        print(f"{len(messages)} messages from {CORPUS.relative_to(ROOT)}; wall time from launch to exit, "
              f"start-up included; {args.rounds} alternating rounds", flush=True)
        for k in range(args.rounds):
            for name, cmd in commands.items():
                out = Path(cmd[cmd.index("-o") + 1]) if "-o" in cmd else Path(cmd[-1])
                seconds = timed(cmd)
                lines = sum(1 for _ in out.open(encoding="utf-8"))
                if lines != len(messages):
                    raise SystemExit(f"{name} wrote {lines} results for {len(messages)} messages")
                rates[name].append(len(messages) / seconds)
                print(f"  round {k + 1}: {name:<16} {seconds:6.2f} s  {rates[name][-1]:7.1f} messages/s", flush=True)
    ours, theirs = statistics.median(rates[ours_names[0]]), statistics.median(rates["presidio"])
    ratio = ours / theirs
    print()
    print(f"{'':<34}{'median':>10}{'baseline':>10}")
    for name, (p, t) in zip(ours_names, setups, strict=True):
        label = f"predict, {p} proc x {t} thread(s)"
        # the figure is of the one set-up predict had then: one process
        baseline = f"{BASELINE['intakeflow']:10.1f}" if p == 1 else f"{'':10}"
        print(f"{label:<34}{statistics.median(rates[name]):10.1f}{baseline}  messages/s")
    print(f"{'Presidio batched, 2 processes':<34}{theirs:10.1f}{BASELINE['presidio']:10.1f}  messages/s")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"{'ratio':<34}{ratio:10.2f}{BASELINE['ratio']:10.2f}  (target >= {TARGET_RATIO:.0f}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
