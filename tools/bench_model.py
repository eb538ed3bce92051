"""Model-only speed in CPU time: ``python -m tools.bench_model --model DIR [--model DIR2 ...]``.

The machine this runs on is shared, so wall time moves with other people's jobs; CPU time
moves much less. Figures per artifact, the artifacts alternating round by round:

* single message, one thread: median CPU time (``time.process_time``) of one
  ``OnnxModel.predict([text])`` call, over the texts in turn;
* batched, one thread: messages per CPU second over ``predict`` calls of ``--batch`` texts;
* batched, two threads: messages per second of the critical path, i.e. the calling
  thread's CPU time (tokenising, packing, assembling) plus the busiest pool thread's CPU time
  (each pool thread's own CPU clock, ``pthread_getcpuclockid``). This is what two idle
  cores would give; wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from pathlib import Path

from intakeflow.jsonl import read_gold
from intakeflow.pipeline.model.runtime import OnnxModel

#: issue 12, measured on main on 2026-12-05 (Sapphire Rapids, 2 cores), and its targets
BASELINE = {"single_ms": 4.37, "one_thread": 228, "two_threads": 383}
TARGET = {"single_ms": 3.0, "two_threads": 600}


def _pool_clocks(model: OnnxModel) -> list[int]:
    pool = model._pool
    if pool is None:
        return []
    threads: set[threading.Thread] = getattr(pool, "_threads", set())
    return [time.pthread_getcpuclockid(t.ident) for t in threads if t.ident is not None]


def _single(model: OnnxModel, texts: list[str], n: int) -> list[float]:
    out = []
    for i in range(n):
        t = time.process_time()
        model.predict([texts[i % len(texts)]])
        out.append((time.process_time() - t) * 1000)
    return out


def _batched(model: OnnxModel, texts: list[str], size: int) -> tuple[float, float]:
    """(messages per critical-path CPU second, messages per wall second)."""
    model.predict(texts[:size])  # warm-up; starts the pool threads
    clocks = _pool_clocks(model)
    before = [time.clock_gettime(c) for c in clocks]
    main0, wall0 = time.thread_time(), time.perf_counter()
    for i in range(0, len(texts), size):
        model.predict(texts[i : i + size])
    main, wall = time.thread_time() - main0, time.perf_counter() - wall0
    busiest = max((time.clock_gettime(c) - b for c, b in zip(clocks, before)), default=0.0)
    return len(texts) / (main + busiest), len(texts) / wall


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", action="append", required=True, help="artifact folder (repeat to compare)")
    ap.add_argument("--gold", default="/work/shared/data/dev-sample.jsonl", help="JSONL with a 'text' field")
    ap.add_argument("--n", type=int, default=300, help="single-message timings per round")
    ap.add_argument("--batch", type=int, default=32, help="messages per predict call")
    ap.add_argument("--messages", type=int, default=512, help="messages per batched round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-windows", type=int, default=None, help="override the artifact's default")
    args = ap.parse_args(argv)

    texts = [g["text"] for g in read_gold(Path(args.gold))]
    batch = (texts * (1 + args.messages // len(texts)))[: args.messages]
    models = {}
    for path in args.model:
        kw = {} if args.batch_windows is None else {"batch_windows": args.batch_windows}
        models[path] = (OnnxModel(path, threads=1, **kw), OnnxModel(path, threads=2, **kw))
    singles: dict[str, list[float]] = {p: [] for p in models}
    rates: dict[str, list[tuple[float, float, float, float]]] = {p: [] for p in models}
    for _ in range(args.rounds):
        for path, (one, two) in models.items():
            one.predict(texts[:4])
            singles[path] += _single(one, texts, args.n)
            c1, w1 = _batched(one, batch, args.batch)
            c2, w2 = _batched(two, batch, args.batch)
            rates[path].append((c1, w1, c2, w2))
    print(f"{len(texts)} texts from {args.gold}; CPU time (process_time / thread CPU clocks)")
    for path, (one, _) in models.items():
        s = singles[path]
        print(f"{one.version}  {path}  batch_windows={one.batch_windows}")
        print(f"  single, 1 thr: median {statistics.median(s):.3f} ms CPU (n={len(s)})")
        for i, (c1, w1, c2, w2) in enumerate(rates[path]):
            print(
                f"  round {i + 1}: batched ({args.batch}/call) 1 thr {c1:7.1f} msg/CPU-s ({w1:6.1f} wall);"
                f" 2 thr {c2:7.1f} msg/critical-path-s ({w2:6.1f} wall)"
            )
        single = statistics.median(s)
        one_thread = statistics.median(r[0] for r in rates[path])
        two_threads = statistics.median(r[2] for r in rates[path])
        print(f"  against issue 12: single {single:.2f} ms (baseline {BASELINE['single_ms']}, target <= "
              f"{TARGET['single_ms']}: {_verdict(single <= TARGET['single_ms'])}); batched 1 thr {one_thread:.0f} "
              f"(baseline {BASELINE['one_thread']}); 2 thr {two_threads:.0f} (baseline {BASELINE['two_threads']}, "
              f"target >= {TARGET['two_threads']}: {_verdict(two_threads >= TARGET['two_threads'])})")
    return 0


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    raise SystemExit(main())
