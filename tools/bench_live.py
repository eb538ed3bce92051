"""``python -m tools.bench_live`` (``make bench-live``): the live feed's latency, MLLP ACK to
results stored, at a sustained rate.

Starts ``intakeflow mllp-listen`` (a process of its own, NOTIFY on) on a fresh store, sends
generated HL7 v2 messages with python-hl7's asyncio MLLP client at ``--rate`` messages a
second for ``--seconds`` (each of ``--connections`` connections waits for its ACK before its
next message, as MLLP asks; a sender that falls behind its schedule sends at once), and has
them processed by the bundled model:

* ``--mode airflow`` (default): a throw-away ``airflow standalone`` (LocalExecutor, its own
  metadata database) runs the real ``hl7_live_intake``: its asset watcher
  (``StagedMessagesTrigger``) in the triggerer, DAG runs started by its events, the
  ``process`` task lingering for new messages. Starting Airflow takes a minute or two first.
* ``--mode core``: no Airflow. The code the trigger and the task run, in this process:
  ``watch_queue`` (the trigger's loop) wakes ``process_pending`` (the task's loop, lingering
  with a ``QueueWaiter``), one run at a time, as the DAG does.

Latency per message is the time from its ACK (the sender's clock) to ``processed_at`` (the
database's clock when its results were saved; same machine). Prints p50/p95/p99/max over
every ACKed message, where the time goes (ACK to the row's ``claimed_at``, ``claimed_at`` to
``processed_at``), the CPU used while sending by part (``CpuSampler``), the backlog (queued
rows and the oldest one's age) every ``--sample-s`` seconds, and, for Airflow, the DAG runs
by type. A message not stored within
``--drain-s`` after the last send counts as missing. Figures only; asserts nothing.

    make bench-live                                  # 50 msg/s for 60 s, real Airflow
    make bench-live BENCH_ARGS="--seconds 600"       # the 10-minute figure of issue 13
    python -m tools.bench_live --mode core --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import psycopg

from tools.sampling import PeriodicSampler

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
SCHEMA = "intakeflow"
CHANNEL = "intakeflow_staged"
DAG_ID = "hl7_live_intake"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_live", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--mode", choices=("airflow", "core"), default="airflow",
                   help="airflow: a real airflow standalone runs hl7_live_intake; core: the trigger's and task's code "
                        "in this process")
    p.add_argument("--rate", type=float, default=50.0, help="messages per second (default 50)")
    p.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60; 600 for issue 13)")
    p.add_argument("--connections", type=int, default=4, help="MLLP connections sharing the rate")
    p.add_argument("--sample-s", type=float, default=5.0, help="backlog sampling interval")
    p.add_argument("--drain-s", type=float, default=120.0, help="after the last send, wait this long for results")
    # core mode only: Airflow runs the live DAG with its own param defaults, which these mirror
    p.add_argument("--batch-size", type=int, default=16, help="core mode: the live DAG's batch_size")
    p.add_argument("--linger-s", type=float, default=300.0, help="core mode: the live DAG's linger_s")
    p.add_argument("--workers", type=int, default=2, help="core mode: the live DAG's workers (batches in the pipeline at once)")
    p.add_argument("--max-run-s", type=float, default=3300.0, help="core mode: the live DAG's max_run_s")
    p.add_argument("--pg", default=PG_SERVER, help="PostgreSQL server URL (a database is created on it)")
    p.add_argument("--keep", action="store_true", help="keep the database and the logs (Airflow home) afterwards")
    p.add_argument("--seed", type=int, default=17)
    p.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    return p.parse_args(argv)


# -- messages and the sender --------------------------------------------------------------------


def build_messages(n: int, run: str, seed: int) -> list[tuple[str, bytes]]:
    from datetime import UTC, datetime, timedelta

    from tools.demo_data import HL7_TYPES, demo_texts, hl7_message

    texts = demo_texts(min(n, 400), seed)
    start = datetime(2024, 3, 4, 8, tzinfo=UTC)
    out = []
    for i in range(n):
        cid = f"{run}{i:07d}"
        msg = hl7_message(HL7_TYPES[i % len(HL7_TYPES)], control_id=cid, when=start + timedelta(seconds=i),
                          patient_id=f"{i % 99991:07d}", text=texts[i % len(texts)].text, facility="LIVEBENCH")
        out.append((cid, msg.encode("utf-8")))
    return out


@dataclass
class Sent:
    acked_at: dict[str, float] = field(default_factory=dict)  # control id -> wall clock of its AA
    ack_s: list[float] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    behind: int = 0  # sends that left later than their schedule by more than a second
    started: float = 0.0
    finished: float = 0.0


async def send_at_rate(port: int, messages: list[tuple[str, bytes]], rate: float, connections: int) -> Sent:
    """Message i leaves at ``start + i / rate`` (or as soon as its connection is free)."""
    from hl7.mllp import open_hl7_connection

    sent = Sent()
    t0 = time.monotonic() + 0.5
    sent.started = time.time() + 0.5

    async def one(c: int) -> None:
        reader, writer = await open_hl7_connection("127.0.0.1", port, limit=1 << 20)
        try:
            for i in range(c, len(messages), connections):
                cid, payload = messages[i]
                due = t0 + i / rate
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                elif wait < -1.0:
                    sent.behind += 1
                t_send = time.monotonic()
                writer.writeblock(payload)
                await writer.drain()
                ack = await reader.readblock()
                code = ack.split(b"\r")[1].split(b"|")[1].decode()
                sent.codes[code] += 1
                sent.ack_s.append(time.monotonic() - t_send)
                if code == "AA":
                    sent.acked_at[cid] = time.time()
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(one(c) for c in range(connections)))
    sent.finished = time.time()
    return sent


# -- the listener -------------------------------------------------------------------------------


class Listener:
    """``intakeflow mllp-listen`` in a process of its own, NOTIFY on the default channel."""

    def __init__(self, dsn: str, log: Path, schema: str = SCHEMA, channel: str = CHANNEL) -> None:
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "intakeflow.cli", "mllp-listen", "--dsn", dsn, "--schema", schema, "--port", "0",
             "--notify-channel", channel, "--log-level", "WARNING"],
            stdout=self._out, stderr=subprocess.STDOUT, cwd=REPO)
        self.port = self._wait_port()

    def _wait_port(self) -> int:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            m = re.search(r"listening on [^:]+:(\d+)", self.log.read_text(errors="replace"))
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError(f"mllp-listen exited: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)
        raise TimeoutError("mllp-listen did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._out.close()


# -- processing: real Airflow, or the same core code in this process ----------------------------


class AirflowProcessing:
    """A throw-away ``airflow standalone`` running the repository's DAGs; the live one unpaused."""

    def __init__(self, db_name: str, dsn: str, home: Path, args: argparse.Namespace) -> None:
        from tools.devstack import AirflowStack

        conn = json.dumps({"conn_type": "postgres", "host": dsn})
        self.stack = AirflowStack(
            home=home, db_name=db_name, dags_folder=REPO / "dags", pg_url=args.pg,
            env={"AIRFLOW_CONN_INTAKEFLOW_POSTGRES": conn})
        self.args = args

    def start(self, dsn: str) -> None:
        self.stack.setup()
        self.stack.start_standalone()
        self.stack.wait_for_dag(DAG_ID)
        self.stack.api("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
        # unpausing may start the cron's latest run: let it end (it finds nothing) and the
        # watcher start listening, so that what is measured is the event path
        self.stack.wait_until("the watcher listening", lambda: _watchers(dsn) > 0, 300, interval=1)
        self.stack.wait_until("no run in progress", lambda: all(
            r["state"] in ("success", "failed") for r in self.stack.dag_runs(DAG_ID)), 300, interval=2)

    def runs(self) -> Counter[str]:
        return Counter(f"{r['run_type']}:{r['state']}" for r in self.stack.dag_runs(DAG_ID))

    def stop(self) -> None:
        self.stack.stop()


class _Stopped(Exception):
    pass


class CoreProcessing:
    """The trigger's loop (``watch_queue``) and the task's (``process_pending``) in this
    process: each wake starts a run unless one is running, as ``max_active_runs=1`` does."""

    def __init__(self, dsn: str, args: argparse.Namespace) -> None:
        self.dsn = dsn
        self.args = args
        self.counts: Counter[str] = Counter()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._threads: list[threading.Thread] = []

    def start(self, dsn: str) -> None:
        from intakeflow.store import Store

        Store(dsn, SCHEMA, "any").migrate()
        self._threads = [threading.Thread(target=self._watch, daemon=True),
                         threading.Thread(target=self._runs, daemon=True)]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + 60
        while _watchers(dsn) == 0:
            if time.monotonic() > deadline:
                raise TimeoutError("watcher not listening")
            time.sleep(0.1)

    def _watch(self) -> None:
        from intakeflow.store.live import watch_queue

        async def main() -> None:
            async for wake in watch_queue(self.dsn, SCHEMA, ["mllp"], CHANNEL):
                self.counts[f"wake:{wake.reason}"] += 1
                self._wake.set()

        self._task = self._loop.create_task(main())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass

    def _runs(self) -> None:
        from intakeflow.pipeline import Pipeline, PipelineConfig
        from intakeflow.pipeline.model.runtime import shared_model
        from intakeflow.store import Store
        from intakeflow.store.live import QueueWaiter
        from intakeflow.store.processing import BUSY_WAIT_SLICE_S, process_pending

        config = PipelineConfig()
        pipeline = Pipeline(config, model=shared_model(str(config.model_path), config.threads))
        store = Store(self.dsn, SCHEMA, pipeline.version)
        n = 0
        while not self._stop.is_set():
            if not self._wake.wait(0.5):
                continue
            self._wake.clear()
            n += 1
            with QueueWaiter(self.dsn, SCHEMA, ["mllp"], CHANNEL) as waiter:

                def wait(timeout: float) -> bool:
                    # a wait longer than the busy slice is the idle one: nothing in hand, a clean place to end
                    if self._stop.is_set() and timeout > BUSY_WAIT_SLICE_S:
                        raise _Stopped
                    return waiter.wait(timeout)

                try:
                    tally = process_pending(store, pipeline, f"bench-run-{n}", batch_size=self.args.batch_size,
                                            sources=["mllp"], linger_s=self.args.linger_s,
                                            max_run_s=self.args.max_run_s, workers=self.args.workers, wait=wait)
                except _Stopped:
                    self.counts["runs"] += 1
                    return
            self.counts["runs"] += 1
            self.counts["processed"] += tally.outcomes["processed"]

    def runs(self) -> Counter[str]:
        return self.counts

    def stop(self) -> None:
        self._stop.set()
        if hasattr(self, "_task"):
            self._loop.call_soon_threadsafe(self._task.cancel)
        for t in self._threads:
            t.join(30)


def _watchers(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'intakeflow-watch'"
                           " AND datname = current_database() AND query LIKE '%%intakeflow:queue-ages%%'").fetchone()
    return int(row[0]) if row else 0


# -- measuring ----------------------------------------------------------------------------------


class Sampler(PeriodicSampler):
    """The backlog every ``every`` seconds: (seconds since start, queued, oldest queued age,
    stored so far)."""

    def __init__(self, dsn: str, every: float) -> None:
        super().__init__(every)
        self.dsn = dsn
        self.rows: list[tuple[float, int, float | None, int]] = []
        self._conn: psycopg.Connection[Any] | None = None  # opened and used on the sampling thread

    def sample(self) -> None:
        from intakeflow.store import Store

        if self._conn is None:
            self._conn = psycopg.connect(self.dsn, autocommit=True)
        ages = Store(self.dsn, SCHEMA, "any").queue_ages(["mllp"])
        queued = sum(a.queued for a in ages.values())
        oldest = max((a.oldest_s for a in ages.values() if a.oldest_s is not None), default=None)
        row = self._conn.execute(f"SELECT count(*) FROM {SCHEMA}.messages WHERE source = 'mllp' "
                                 "AND status <> 'received'").fetchone()
        self.rows.append((time.monotonic() - self.t0, queued, oldest, int(row[0]) if row else 0))

    def stop(self) -> None:
        super().stop()
        if self._conn is not None:
            self._conn.close()


def stored_at(dsn: str, schema: str = SCHEMA) -> dict[str, float]:
    """Control id -> when its results were saved (epoch seconds), for processed rows."""
    return {cid: times[1] for cid, times in claimed_and_stored(dsn, schema).items()}


def claimed_and_stored(dsn: str, schema: str = SCHEMA) -> dict[str, tuple[float, float]]:
    """Control id -> (when its last claim was taken, when its results were saved), epoch
    seconds of the database's clock, for processed rows."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f"SELECT source_id, EXTRACT(EPOCH FROM claimed_at)::float8, "
                            f"EXTRACT(EPOCH FROM processed_at)::float8 FROM {schema}.messages "
                            "WHERE source = 'mllp' AND processed_at IS NOT NULL").fetchall()
    return {str(r[0]).split("|", 1)[-1]: (float(r[1]), float(r[2])) for r in rows}


class CpuSampler(PeriodicSampler):
    """CPU seconds used while the feed runs, by part: the senders (and, in core mode, the
    processing) in this process, the listener and its parse workers, Airflow's tasks (the live
    task's pipeline) and its services (every other process working in its home folder), PostgreSQL (all of its
    processes: the server is shared) and everything else on the machine. Sampled every
    second; a process that ends between two samples loses its last second."""

    def __init__(self, listener_pid: int, airflow_home: Path | None) -> None:
        import psutil

        super().__init__(1.0)
        self.psutil = psutil
        self.listener_pid = listener_pid
        self.airflow_home = str(airflow_home) if airflow_home else None
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[str, float]] = {}

    def _part(self, p: Any, listener: set[int]) -> str:
        if p.pid == os.getpid():
            return "bench"
        if p.pid in listener:
            return "listener"
        name = p.name()
        if name.startswith("postgres"):
            return "postgres"
        if self.airflow_home and p.cwd().startswith(self.airflow_home):
            # a task's supervisor and runner are titled "airflow worker -- <task instance id>"
            return "airflow tasks" if re.match(r"airflow worker -- [0-9a-f]{8}-", " ".join(p.cmdline())) else \
                "airflow services"
        return "other"

    def sample(self) -> None:
        ps = self.psutil
        try:
            lp = ps.Process(self.listener_pid)
            listener = {self.listener_pid, *(c.pid for c in lp.children(recursive=True))}
        except ps.Error:
            listener = set()
        for p in ps.process_iter():
            try:
                t = p.cpu_times()
                used = t.user + t.system
                part = self.last[p.pid][0] if p.pid in self.last else self._part(p, listener)
            except ps.Error:
                continue
            self.first.setdefault(p.pid, used if not self.started else 0.0)
            self.last[p.pid] = (part, used)

    def start(self) -> Self:
        self.started = False
        self.began = time.monotonic()
        self.machine0 = self.psutil.cpu_times()
        self.sample()
        self.started = True
        return super().start()

    def cores(self) -> dict[str, float]:
        """Stops, then the cores used on average, by part, and by the whole machine."""
        self.stop()
        self.sample()
        seconds = max(1e-6, time.monotonic() - self.began)
        m0, m1 = self.machine0, self.psutil.cpu_times()
        busy = sum(m1) - sum(m0) - ((m1.idle + m1.iowait) - (m0.idle + m0.iowait))
        parts: dict[str, float] = {}
        for pid, (part, used) in self.last.items():
            parts[part] = parts.get(part, 0.0) + used - self.first.get(pid, 0.0)
        out = {k: round(v / seconds, 2) for k, v in sorted(parts.items())}
        out["machine"] = round(busy / seconds, 2)
        return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[k]


def wait_drained(dsn: str, expected: set[str], timeout: float, alive: Callable[[], None]) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while True:
        done = stored_at(dsn)
        if expected <= done.keys() or time.monotonic() > deadline:
            return done
        alive()
        time.sleep(1.0)


def run(args: argparse.Namespace) -> int:
    db_name = f"intakeflow_bench_live_{uuid.uuid4().hex[:6]}"
    dsn = f"{args.pg}/{db_name}"
    home = Path(tempfile.mkdtemp(prefix="bench-live-"))
    load_before = os.getloadavg()
    processing: AirflowProcessing | CoreProcessing
    runs: Counter[str] = Counter()
    if args.mode == "airflow":
        processing = AirflowProcessing(db_name, dsn, home / "airflow", args)
    else:
        with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{db_name}"')
        processing = CoreProcessing(dsn, args)
    listener: Listener | None = None
    n = int(args.rate * args.seconds)
    messages = build_messages(n, f"LB{uuid.uuid4().hex[:4].upper()}", args.seed)
    print(f"bench_live: {args.mode} mode, {n} messages at {args.rate:g}/s over {args.connections} connections; "
          f"load average before {load_before[0]:.1f}; logs in {home}", file=sys.stderr, flush=True)
    try:
        t = time.monotonic()
        processing.start(dsn)
        print(f"bench_live: processing ready in {time.monotonic() - t:.0f} s", file=sys.stderr, flush=True)
        listener = Listener(dsn, home / "listener.log")
        sampler = Sampler(dsn, args.sample_s).start()
        cpu = CpuSampler(listener.proc.pid, home / "airflow" if args.mode == "airflow" else None).start()
        cpu0 = os.times()
        sent = asyncio.run(send_at_rate(listener.port, messages, args.rate, args.connections))
        cores = cpu.cores()
        alive: Callable[[], None] = (processing.stack._check_alive if isinstance(processing, AirflowProcessing)
                                     else (lambda: None))
        done = wait_drained(dsn, set(sent.acked_at), args.drain_s, alive)
        stages = claimed_and_stored(dsn)
        sampler.stop()
        cpu1 = os.times()
        load_after = os.getloadavg()
    finally:
        if listener is not None:
            listener.stop()
        try:
            runs = processing.runs()
        except (OSError, RuntimeError) as exc:  # Airflow's API gone: report without the runs
            runs = Counter({f"unknown ({type(exc).__name__})": 1})
        processing.stop()
        if not args.keep:
            with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    if not args.keep:  # logs stay only when asked for (or when the run failed: the exception left above)
        shutil.rmtree(home, ignore_errors=True)
    latencies = [done[c] - at for c, at in sent.acked_at.items() if c in done]
    waited = [stages[c][0] - at for c, at in sent.acked_at.items() if c in stages]
    in_batch = [stored - claimed for claimed, stored in stages.values()]
    missing = len(set(sent.acked_at) - done.keys())
    figures = {
        "mode": args.mode, "rate": args.rate, "seconds": args.seconds, "messages": n, "acked": len(sent.acked_at),
        "codes": dict(sent.codes), "send_seconds": round(sent.finished - sent.started, 1),
        "sends_behind_schedule": sent.behind, "stored": len(latencies), "missing": missing,
        "latency_s": {"p50": percentile(latencies, 50), "p95": percentile(latencies, 95),
                      "p99": percentile(latencies, 99), "max": max(latencies, default=float("nan"))},
        "ack_ms": {"p50": 1000 * percentile(sent.ack_s, 50), "p99": 1000 * percentile(sent.ack_s, 99)},
        # where the time goes: ACK -> claimed (waiting in the queue), claimed -> stored (its batch)
        "ack_to_claim_s": {"p50": percentile(waited, 50), "p95": percentile(waited, 95)},
        "claim_to_stored_s": {"p50": percentile(in_batch, 50), "p95": percentile(in_batch, 95)},
        "first_stored_s": round(min(done.values(), default=float("nan")) - sent.started, 2),
        "cores_while_sending": cores,
        "settings": ({"batch_size": args.batch_size, "workers": args.workers, "linger_s": args.linger_s,
                      "max_run_s": args.max_run_s} if args.mode == "core" else "the live DAG's defaults"),
        "runs": dict(runs), "load_average_before": round(load_before[0], 1), "load_average_after": round(load_after[0], 1),
        "bench_process_cpu_s": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 1),
        "backlog": [{"t": round(t, 1), "queued": q, "oldest_s": None if o is None else round(o, 1), "stored": s}
                    for t, q, o, s in sampler.rows],
    }
    print_figures(figures)
    if args.json:
        print(json.dumps(figures))
    return 0


def print_figures(f: dict[str, Any]) -> None:
    lat = f["latency_s"]
    print(f"\nlive feed, {f['mode']} mode: {f['messages']} messages at {f['rate']:g}/s "
          f"(sent in {f['send_seconds']} s, {f['sends_behind_schedule']} more than 1 s behind schedule)")
    print(f"  ACKs: {f['codes']}; ACK latency p50 {f['ack_ms']['p50']:.0f} ms, p99 {f['ack_ms']['p99']:.0f} ms")
    print(f"  ACK -> results stored: p50 {lat['p50']:.2f} s, p95 {lat['p95']:.2f} s, p99 {lat['p99']:.2f} s, "
          f"max {lat['max']:.2f} s over {f['stored']} messages; {f['missing']} ACKed but not stored")
    print(f"  where the time goes: ACK -> claimed p50 {f['ack_to_claim_s']['p50']:.2f} s, p95 "
          f"{f['ack_to_claim_s']['p95']:.2f} s; claimed -> stored p50 {f['claim_to_stored_s']['p50']:.2f} s, p95 "
          f"{f['claim_to_stored_s']['p95']:.2f} s; first results stored {f['first_stored_s']} s after sending began")
    print(f"  settings: {f['settings']}")
    print(f"  CPU while sending (cores of 2): {f['cores_while_sending']}")
    print(f"  runs: {f['runs']}")
    print(f"  load average (1 min) before {f['load_average_before']}, after {f['load_average_after']} (2 cores, shared)")
    print("  backlog:   t (s)   queued   oldest queued (s)   stored")
    for r in f["backlog"]:
        oldest = "-" if r["oldest_s"] is None else f"{r['oldest_s']:.1f}"
        print(f"           {r['t']:6.0f}   {r['queued']:6d}   {oldest:>17}   {r['stored']:6d}")


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
