"""``intakeflow bench``: latency, throughput, load time and memory, with Presidio beside us.

Prints figures; it asserts nothing. Timings are wall-clock on this machine, all three
tasks (intent, PHI, insurance) plus validators and outputs in one ``process`` call.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from intakeflow.evaluation import score
from intakeflow.jsonl import read_gold, result_record
from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.results import PipelineInput


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _throughput(pipe: Pipeline, batch: list[PipelineInput], size: int) -> float:
    pipe.process(batch[:size])
    t = time.perf_counter()
    for i in range(0, len(batch), size):
        pipe.process(batch[i : i + size])
    return len(batch) / (time.perf_counter() - t)


def run_bench(args: argparse.Namespace) -> int:
    gold = read_gold(Path(args.gold))
    inputs = [PipelineInput(id=g["id"], text=g["text"], channel=g.get("channel")) for g in gold]
    rss0 = _rss_mb()

    t = time.perf_counter()
    pipe = Pipeline(PipelineConfig(model_path=Path(args.model), threads=1))
    load_s = time.perf_counter() - t
    pipe.process(inputs[:4])  # warm-up

    single: list[float] = []
    for i in range(args.n):
        msg = inputs[i % len(inputs)]
        t = time.perf_counter()
        pipe.process([msg])
        single.append((time.perf_counter() - t) * 1000)

    rss = _rss_mb()  # one pipeline loaded and warm: what a worker process holds
    batch = (inputs * (1 + 512 // len(inputs)))[:512]
    rows = [(1, _throughput(pipe, batch, args.batch))]
    pipe2 = Pipeline(PipelineConfig(model_path=Path(args.model), threads=2))
    rows.append((2, _throughput(pipe2, batch, args.batch)))
    del pipe2

    ours = score(gold, [result_record(r) for r in pipe.process(inputs)])
    print(f"intakeflow {pipe.version} on {len(inputs)} dev messages")
    print(f"  model load             {load_s * 1000:8.1f} ms")
    print(
        f"  single message, 1 thr  median {statistics.median(single):.2f} ms  p90 {_pct(single, 0.9):.2f} ms"
        f"  p99 {_pct(single, 0.99):.2f} ms  (n={len(single)})"
    )
    for threads, rate in rows:
        print(f"  batched ({args.batch}/call), {threads} thr  {rate:8.1f} messages/s")
    print(f"  RSS, one warm pipeline {rss:8.1f} MB (before loading {rss0:.1f} MB)")

    table = [("intakeflow", ours, statistics.median(single))]
    if not args.no_presidio:
        from tools import presidio_baseline

        analyzer = presidio_baseline.build_analyzer()
        presidio_baseline.predict(analyzer, "warm", inputs[0].text)
        pred, lat = [], []
        for msg in inputs:
            t = time.perf_counter()
            pred.append(presidio_baseline.predict(analyzer, msg.id, msg.text))
            lat.append((time.perf_counter() - t) * 1000)
        table.append(("presidio+spaCy sm", score(gold, pred), statistics.median(lat)))

    print()
    types = sorted({t for _, r, _ in table for t in r.phi.per_type if r.phi.support[t]}, key=lambda t: -ours.phi.support[t])
    head = f"{'system':<20}{'ms/msg':>8}{'intentF1':>10}{'PHI mF1':>9}{'redactR':>9}{'ins mF1':>9}  "
    print(head + " ".join(f"{t[:7]:>7}" for t in types))
    for name, rep, ms in table:
        per = " ".join(f"{rep.phi.per_type[t].f1 if t in rep.phi.per_type else 0.0:7.2f}" for t in types)
        print(
            f"{name:<20}{ms:8.2f}{rep.intent_macro_f1:10.3f}{rep.phi.macro_f1:9.3f}{rep.redaction_recall:9.3f}"
            f"{rep.insurance.macro_f1:9.3f}  {per}"
        )
    return 0
