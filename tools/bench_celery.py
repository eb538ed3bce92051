"""Scale-out benchmark: the ``hl7_archive_intake`` DAG on CeleryExecutor with 1, then 2 workers.

For each worker count it starts a fresh local Airflow (scheduler, DAG processor, API server,
Celery workers on the local Redis; metadata database and store on the local PostgreSQL),
writes nothing new (one synthetic archive serves every round), runs ``airflow backfill
create`` over all days of the archive at once, and prints messages per second from the
backfill's creation to its last finished run, plus where the task time went.

Each worker gets ``--concurrency`` slots (default 1), so parallelism is the worker count.
All workers share this machine's cores with the scheduler and the database: the figure is
how the DAG scales with slots on one host, the floor of what separate hosts give.

Memory: a sampler reads each worker's process tree (the Celery worker, its pool and the task
processes it starts) every half second and reports the peak of its summed PSS (shared pages
counted once across the tree) and the peak RSS of its largest single process.

Curve: every ``--curve-every`` seconds it counts the processed messages in the store, and
prints time against messages done, the steady rate (a least-squares line over the part of
the backfill after the first results) and what that rate makes of ``--extrapolate``
messages (1,000,000) on 1, 2 and 4 workers' worth of that rate; ``--curve-csv`` keeps the
points for a plot.

    python -m tools.bench_celery --days 4 --per-day 400 --workers 1,2
    python -m tools.bench_celery --days 10 --per-day 10000 --workers 2 --curve-csv curve.csv   # 100,000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
import psycopg

from tools.demo_data import demo_texts, write_hl7_archive
from tools.devstack import AirflowStack
from tools.sampling import PeriodicSampler

DAG_ID = "hl7_archive_intake"
#: issue 12 (main on 2026-12-05): messages/s of 1 and 2 workers, and its targets
BASELINE_RATE = {1: 28.0, 2: 50.0}
TARGET_SPEEDUP = 1.8
TARGET_RATE = 150.0
DAGS = Path(__file__).resolve().parents[1] / "dags"  # the repository's example DAG folder
FIRST_DAY = datetime(2024, 5, 1, tzinfo=UTC)


@dataclass
class Round:
    workers: int
    messages: int
    seconds: float
    task_seconds: dict[str, float]
    runs_ok: int
    memory: dict[str, tuple[float, float]]  # worker -> (peak tree PSS MB, peak largest-process RSS MB)
    curve: list[tuple[float, int]]  # (seconds since the backfill was created, messages processed by then)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tools.bench_celery", description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=4, help="archive days = backfill runs (default 4)")
    ap.add_argument("--per-day", type=int, default=400, help="messages per day (default 400)")
    ap.add_argument("--files-per-day", type=int, default=4, help="files per day = stage shards per run (default 4)")
    ap.add_argument("--workers", default="1,2", help="worker counts to measure, comma-separated (default 1,2)")
    ap.add_argument("--concurrency", type=int, default=1, help="task slots per worker (default 1)")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379/8", help="broker (a database the bench may flush)")
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per round before giving up")
    ap.add_argument("--curve-every", type=float, default=10.0, help="seconds between two counts of processed messages")
    ap.add_argument("--curve-csv", type=Path, default=None, help="write the curve points (workers, seconds, processed)")
    ap.add_argument("--extrapolate", type=int, default=1_000_000, help="messages to extrapolate the steady rate to")
    return ap.parse_args(argv)


class WorkerMemory(PeriodicSampler):
    """Peak memory of each Celery worker's process tree."""

    def __init__(self, pids: dict[str, int], every_s: float = 0.5) -> None:
        super().__init__(every_s)
        self.pids = pids
        self.peak: dict[str, tuple[float, float]] = {name: (0.0, 0.0) for name in pids}

    def sample(self) -> None:
        for name, pid in self.pids.items():
            tree_pss, largest_rss = 0.0, 0.0
            try:
                root = psutil.Process(pid)
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            for proc in procs:
                try:
                    info = proc.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                tree_pss += info.pss / 2**20
                largest_rss = max(largest_rss, info.rss / 2**20)
            old = self.peak[name]
            self.peak[name] = (max(old[0], tree_pss), max(old[1], largest_rss))


class Progress(PeriodicSampler):
    """Messages processed so far: (seconds since ``with``, count) per sample."""

    def __init__(self, dsn: str, every_s: float) -> None:
        super().__init__(every_s)
        self.dsn = dsn
        self.points: list[tuple[float, int]] = []

    def sample(self) -> None:
        try:
            with psycopg.connect(self.dsn, connect_timeout=5) as conn:
                row = conn.execute(PROCESSED).fetchone()
        except psycopg.Error:  # the store's schema is created by the first run's migrate task
            return
        self.points.append((time.monotonic() - self.t0, int(row[0]) if row else 0))


PROCESSED = "SELECT count(*) FROM intakeflow.messages WHERE status IN ('processed', 'delivered')"


def steady_rate(curve: list[tuple[float, int]]) -> tuple[float, float] | None:
    """Least-squares ``seconds = a + messages / rate`` over the points after the first
    results and before the last count (the tail only repeats the total): (rate, a)."""
    total = curve[-1][1] if curve else 0
    pts = [(t, n) for t, n in curve if 0 < n < total]
    if len(pts) < 3:
        return None
    mean_n = sum(n for _, n in pts) / len(pts)
    mean_t = sum(t for t, _ in pts) / len(pts)
    var = sum((n - mean_n) ** 2 for _, n in pts)
    if var == 0:
        return None
    slope = sum((n - mean_n) * (t - mean_t) for t, n in pts) / var  # seconds per message
    return (1.0 / slope, mean_t - slope * mean_n) if slope > 0 else None


def run_round(args: argparse.Namespace, archive: Path, workers: int, tmp: Path) -> Round:
    db_name = f"intakeflow_bench_celery_{uuid.uuid4().hex[:6]}"
    store = f"{args.pg_url}/{db_name}"
    stack = AirflowStack(
        home=tmp / f"airflow-{workers}", db_name=db_name, dags_folder=DAGS, pg_url=args.pg_url,
        executor="CeleryExecutor", redis_url=args.redis_url,
        env={"AIRFLOW_CONN_INTAKEFLOW_POSTGRES": json.dumps({"conn_type": "postgres", "host": store}),
             "AIRFLOW__CORE__PARALLELISM": "32"},
    )
    print(f"[{workers} worker(s)] starting Airflow (CeleryExecutor) ...", flush=True)
    stack.setup()
    try:
        stack.start_services(workers=workers, concurrency=args.concurrency)
        stack.wait_for_dag(DAG_ID)
        stack.api("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        last = FIRST_DAY + timedelta(days=args.days - 1)
        conf = {"archive_root": str(archive), "files_per_shard": 1}
        pids = {name: proc.pid for name, proc in stack.processes.items() if name.startswith("worker-")}
        with WorkerMemory(pids) as memory, Progress(store, args.curve_every) as progress:
            t0 = time.monotonic()
            # timed to the last finished run, not to the scheduler closing the backfill after it
            runs = stack.backfill(DAG_ID, f"{FIRST_DAY:%Y-%m-%d}", f"{last:%Y-%m-%d}", conf,
                                  max_active_runs=args.days, until_closed=False, timeout=args.timeout)
            seconds = time.monotonic() - t0
        task_seconds: dict[str, float] = defaultdict(float)
        for run in runs:
            for ti in stack.task_instances(DAG_ID, run["dag_run_id"]):
                task_seconds[ti["task_id"]] += float(ti.get("duration") or 0.0)
        with psycopg.connect(store) as conn:
            row = conn.execute(PROCESSED).fetchone()
        ok = sum(1 for r in runs if r["state"] == "success")
        done = int(row[0]) if row else 0
        curve = [*progress.points, (seconds, done)]
        return Round(workers, done, seconds, dict(task_seconds), ok, memory.peak, curve)
    finally:
        stack.stop()
        stack.drop_database()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    counts = [int(w) for w in args.workers.split(",") if w.strip()]
    with tempfile.TemporaryDirectory(prefix="intakeflow-bench-celery-") as tmp_name:
        tmp = Path(tmp_name)
        texts = demo_texts(args.days * args.per_day, seed=5)
        summary = write_hl7_archive(tmp / "archive", texts, FIRST_DAY, days=args.days,
                                    files_per_day=args.files_per_day, without_text_every=0)
        print(f"archive: {summary.messages} HL7 v2 messages, {args.days} days x {args.files_per_day} files", flush=True)
        rounds = [run_round(args, tmp / "archive", n, tmp) for n in counts]
    print()
    print(f"{'workers':>8}{'slots':>7}{'messages':>10}{'seconds':>9}{'msg/s':>8}{'speed-up':>10}  runs ok")
    base = rounds[0].rate or 1.0
    for r in rounds:
        print(f"{r.workers:>8}{r.workers * args.concurrency:>7}{r.messages:>10}{r.seconds:>9.1f}{r.rate:>8.1f}"
              f"{r.rate / base:>9.2f}x  {r.runs_ok}/{args.days}")
    if len(rounds) > 1:
        top = rounds[-1]
        speedup = top.rate / base
        verdict = "met" if speedup >= TARGET_SPEEDUP and top.rate >= TARGET_RATE else "NOT met"
        print(f"against issue 12: {top.workers} workers {top.rate:.1f} msg/s, {speedup:.2f}x one worker "
              f"(baseline {BASELINE_RATE[1]} and {BASELINE_RATE[2]} msg/s: 1.79x, per-task overhead dominating; target "
              f">= {TARGET_SPEEDUP}x and >= {TARGET_RATE:.0f} msg/s: {verdict})")
    print("\ntask seconds summed over the runs (stage = parse + stage, process = model + save):")
    for r in rounds:
        parts = ", ".join(f"{k} {v:.1f}" for k, v in sorted(r.task_seconds.items(), key=lambda kv: -kv[1]))
        print(f"  {r.workers} worker(s): {parts}")
    print("\npeak memory per worker (process tree: summed PSS; largest single process: RSS):")
    for r in rounds:
        parts = ", ".join(f"{name} {pss:.0f} MB (largest process {rss:.0f} MB)" for name, (pss, rss) in sorted(r.memory.items()))
        print(f"  {r.workers} worker(s): {parts}")
    print_curves(rounds, args)
    expected = summary.messages
    ok = all(r.messages == expected and r.runs_ok == args.days for r in rounds)
    if not ok:
        print(f"ERROR: expected {expected} processed messages and {args.days} successful runs per round",
              file=sys.stderr)
    return 0 if ok else 1


def print_curves(rounds: list[Round], args: argparse.Namespace) -> None:
    if args.curve_csv is not None:
        with args.curve_csv.open("w") as f:
            f.write("workers,seconds,processed\n")
            f.writelines(f"{r.workers},{t:.1f},{n}\n" for r in rounds for t, n in r.curve)
    for r in rounds:
        print(f"\ntime against messages processed, {r.workers} worker(s) (seconds since the backfill was created):")
        step = max(1, len(r.curve) // 12)
        shown = r.curve[::step] if r.curve[-1] in r.curve[::step] else [*r.curve[::step], r.curve[-1]]
        width = 40
        for t, n in shown:
            bar = "#" * round(width * n / max(1, r.messages))
            print(f"  {t:>8.0f} s {n:>9} {bar}")
        fit = steady_rate(r.curve)
        if fit is None:
            print("  too few points for a steady rate")
            continue
        rate, lead = fit
        print(f"  steady rate {rate:.1f} msg/s after {lead:.0f} s of start-up (least squares over the middle of the run)")
        for k in (1, 2, 4):
            hours = (lead + args.extrapolate / (rate * k / r.workers)) / 3600
            print(f"  {args.extrapolate:,} messages at {k} worker(s)' worth of that rate ({k / r.workers:g}x): {hours:.1f} h")


if __name__ == "__main__":
    raise SystemExit(main())
