"""``python -m tools.bench_mllp``: MLLP listener throughput, ACK latency and CPU per message.

Starts the listener (``--serve``: the objects ``intakeflow mllp-listen`` builds, in a
process of its own) against a fresh schema, sends ``--messages`` generated HL7 v2 messages
over ``--connections`` concurrent connections (python-hl7's asyncio MLLP client, one message
in flight per connection: each sender waits for the ACK before the next message, as MLLP
asks), and prints:

* ACKed messages per second (first send to last ACK) and ACK latency p50/p95/p99/max;
* CPU time per message of the listener (event loop and commit thread), its parse workers,
  the senders, and PostgreSQL (the listener's backends, and the server's ended backends:
  other clients of a shared server add to that figure);
* commits, the mean group size and the wall time of a commit;
* the check that every ACKed control id is in PostgreSQL (``missing`` must be 0);
* the median time of a one-row durable commit on the server before and after the run:
  with C senders that each wait for their ACK, at most C messages share one WAL flush,
  so C / that time bounds ACKs after commit per second whatever the listener does.

``--parse trivial`` replaces ``parse_hl7`` (hl7apy) by a few string splits, so the figure
shows what the ingest machinery itself can do (framing, hand-off, group commit, ACKs).
``--ack-mode enhanced`` sends MSH-15=AL, MSH-16=NE and expects commit ACKs (CA).
``--async-commit-diagnostic`` runs the listener's commits with ``synchronous_commit=off``:
not durable, so not the ACK-after-commit figure; it shows the machinery without the disk.
PostgreSQL: ``--dsn``, else ``INTAKEFLOW_POSTGRES_DSN``, else the local server; the schema is
dropped at the end unless ``--keep-schema``. Prints figures only; asserts nothing, but exits
1 when an ACKed message is missing from the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"
APP_NAME = "intakeflow-bench-mllp"
FACILITY = "BENCHFAC"
_TEXT_POOL = 500
_CLK = os.sysconf("SC_CLK_TCK")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_mllp", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--messages", type=int, default=20_000, help="messages measured (default 20,000)")
    p.add_argument("--warmup", type=int, default=800, help="messages sent first and not measured")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--parse", choices=("hl7", "trivial"), default="hl7",
                   help="hl7: the production parser; trivial: MSH-4/MSH-10 and the text by string splits")
    p.add_argument("--parse-workers", type=int, default=2, help="as mllp-listen --parse-workers")
    p.add_argument("--max-batch", type=int, default=200, help="largest commit group")
    p.add_argument("--max-wait-ms", type=float, default=None,
                   help="longest wait for a fuller group (the listener's default when not given)")
    p.add_argument("--ack-mode", choices=("original", "enhanced"), default="original")
    p.add_argument("--async-commit-diagnostic", action="store_true",
                   help="the listener's commits with synchronous_commit=off: NOT durable, so NOT the ACK-after-commit "
                        "figure; shows what the machinery does when the WAL flush costs nothing")
    p.add_argument("--dsn", default=os.environ.get("INTAKEFLOW_POSTGRES_DSN") or LOCAL_DSN)
    p.add_argument("--keep-schema", action="store_true")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    p.add_argument("--profile", default=None, metavar="FILE",
                   help="cProfile the listener's event loop thread into FILE (pstats format)")
    # the listener process
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--schema", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# -- the listener process ---------------------------------------------------------------------------


def trivial_parse(payload: bytes, source: str, filters: Sequence[Any] = ()) -> Any:
    """The least a parser must do: the key (MSH-4|MSH-10) and a text; no hl7apy, no checks."""
    from intakeflow.results import InboundMessage, Quarantined

    text = payload.decode("utf-8", errors="replace")
    msh = text.split("\r", 1)[0].split("|")
    if len(msh) < 12:
        return Quarantined(source, f"{source}|short", "E024", "E024: short MSH")
    return InboundMessage(source=source, source_id=f"{msh[3]}|{msh[9]}", text=text[-200:], channel="hl7_note",
                          meta={"message_type": msh[8]})


class CountingStore:
    """The real store, counting commits and their sizes."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.sizes: Counter[int] = Counter()
        self.seconds = 0.0

    def stage(self, items: Iterable[Any], run_id: str) -> Any:
        batch = list(items)
        t0 = time.perf_counter()
        counts = self.store.stage(batch, run_id)
        self.seconds += time.perf_counter() - t0
        self.sizes[len(batch)] += 1
        return counts

    def close(self) -> None:
        closing = getattr(self.store, "close", None)
        if callable(closing):
            closing()


def serve(args: argparse.Namespace) -> int:
    import inspect
    import logging

    from intakeflow.mllp.intake import Intake
    from intakeflow.mllp.server import ListenerConfig, MllpServer
    from intakeflow.store import Store

    logging.basicConfig(level="WARNING")
    inner: Any = Store(args.dsn, args.schema, "bench@1")
    try:  # what Intake does with a Store (the wrapper below would hide it from Intake)
        from intakeflow.mllp.staging import KeptConnectionStore

        inner = KeptConnectionStore(inner)
    except ImportError:  # before the listener kept its connection
        pass
    store = CountingStore(inner)
    options: dict[str, Any] = {"source": "mllp", "run_id": "bench-mllp", "max_batch": args.max_batch,
                               "parse_workers": args.parse_workers}
    if args.parse == "trivial":
        options["parse"] = trivial_parse
    if args.max_wait_ms is not None and "max_wait" in inspect.signature(Intake).parameters:
        options["max_wait"] = args.max_wait_ms / 1000
    intake = Intake(store, **options)
    server = MllpServer(intake, ListenerConfig(port=0, idle_timeout=120.0, grace=10.0))

    async def main() -> None:
        await server.start()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, server.request_stop)
        print(json.dumps({"port": server.port}), flush=True)
        await server.serve()

    if args.profile:
        import cProfile

        with cProfile.Profile() as prof:
            asyncio.run(main())
        prof.dump_stats(args.profile)
    else:
        asyncio.run(main())
    sizes = store.sizes
    print(json.dumps({"commits": sum(sizes.values()), "rows": sum(k * v for k, v in sizes.items()),
                      "largest": max(sizes, default=0),
                "stage_seconds": store.seconds, "counts": dict(intake.counts),
                      "server": dict(server.counts)}), flush=True)
    return 0


# -- CPU accounting ---------------------------------------------------------------------------------


def _proc_stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from 3 (state) on


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """utime + stime of a process (with ``children``: of its reaped children instead)."""
    f = _proc_stat(pid)
    if f is None:
        return 0.0
    first = 13 if children else 11  # utime is field 14, cutime field 16 (1-based)
    return (int(f[first]) + int(f[first + 1])) / _CLK


def child_pids(parent: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            f = _proc_stat(int(entry.name))
            if f is not None and int(f[1]) == parent:
                out.append(int(entry.name))
    return out


@dataclass
class CpuSample:
    listener: float
    workers: float
    postgres_live: float
    postgres_ended: float
    machine_busy: float
    machine_total: float


def machine_cpu() -> tuple[float, float]:
    """(busy, total) seconds of all CPUs since boot."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    return (sum(parts) - idle) / _CLK, sum(parts) / _CLK


def postmaster_pid(dsn: str) -> int | None:
    import psycopg

    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()
    f = _proc_stat(int(row[0])) if row else None
    return int(f[1]) if f else None


def backend_pids(dsn: str) -> list[int]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP_NAME,)).fetchall()
    return [int(r[0]) for r in rows]


def sample_cpu(listener: int, workers: list[int], postmaster: int | None, backends: dict[int, float],
               dsn: str) -> CpuSample:
    for pid in backend_pids(dsn):
        backends.setdefault(pid, 0.0)
    live = 0.0
    for pid in backends:
        if _proc_stat(pid) is not None:
            backends[pid] = cpu_seconds(pid)
        live += backends[pid]
    busy, total = machine_cpu()
    return CpuSample(
        listener=cpu_seconds(listener),
        workers=sum(cpu_seconds(p) for p in workers),
        postgres_live=live,
        postgres_ended=cpu_seconds(postmaster, children=True) if postmaster else 0.0,
        machine_busy=busy,
        machine_total=total,
    )


# -- messages and senders ---------------------------------------------------------------------------


def build_messages(n: int, first: int, seed: int, enhanced: bool, run: str) -> list[tuple[str, bytes]]:
    from tools.demo_data import HL7_TYPES, demo_texts, hl7_message

    texts = demo_texts(min(n, _TEXT_POOL), seed)
    start = datetime(2024, 3, 4, 8, tzinfo=UTC)
    out = []
    for i in range(first, first + n):
        cid = f"{run}{i:08d}"
        msg = hl7_message(HL7_TYPES[i % len(HL7_TYPES)], control_id=cid, when=start + timedelta(seconds=i),
                          patient_id=f"{i % 99991:07d}", text=texts[i % len(texts)].text, facility=FACILITY)
        if enhanced:  # MSH-13..16: sequence, continuation, accept ack AL, application ack NE
            head, rest = msg.split("\r", 1)
            msg = f"{head}|||AL|NE\r{rest}"
        out.append((cid, msg.encode("utf-8")))
    return out


@dataclass
class SendResult:
    latencies: list[float] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)
    codes: Counter[str] = field(default_factory=Counter)
    first_send: float = 0.0
    last_ack: float = 0.0


async def send_all(port: int, messages: list[tuple[str, bytes]], connections: int, accept: str) -> SendResult:
    from hl7.mllp import open_hl7_connection

    result = SendResult(codes=Counter())
    shares = [messages[c::connections] for c in range(connections)]
    result.first_send = time.perf_counter()

    async def one(share: list[tuple[str, bytes]]) -> None:
        reader, writer = await open_hl7_connection("127.0.0.1", port, limit=1 << 20)
        try:
            for cid, payload in share:
                t0 = time.perf_counter()
                writer.writeblock(payload)
                await writer.drain()
                ack = await reader.readblock()
                t1 = time.perf_counter()
                msa = ack.split(b"\r")[1].split(b"|")
                code, of = msa[1].decode(), msa[2].decode()
                result.codes[code] += 1
                if of != cid:
                    result.codes["wrong_msa2"] += 1
                elif code == accept:
                    result.acked.append(cid)
                result.latencies.append(t1 - t0)
                result.last_ack = t1
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(one(s) for s in shares if s))
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[k]


def commit_latency_ms(dsn: str, schema: str, n: int = 60) -> float:
    """Median time of a one-row durable commit on this server now: the WAL flush (fsync)
    every commit group waits for. With C senders in lockstep, at most C messages share one
    flush, so C / this is the ceiling of ACKs after commit per second."""
    import statistics

    import psycopg
    from psycopg import sql

    times = []
    with psycopg.connect(dsn) as conn:
        table = sql.Identifier(schema, "bench_flush_probe")
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (x int)").format(table))
        conn.commit()
        for i in range(n):
            t0 = time.perf_counter()
            conn.execute(sql.SQL("INSERT INTO {} VALUES (%s)").format(table), (i,))
            conn.commit()
            times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 2)


def stored_ids(dsn: str, schema: str) -> Counter[str]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT source_id, count(*) FROM {}.messages WHERE source = 'mllp' GROUP BY 1")
                            .format(sql.Identifier(schema))).fetchall()
    return Counter({str(r[0]).split("|", 1)[1]: int(r[1]) for r in rows})


# -- the run ----------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    import psycopg
    from psycopg import sql

    from intakeflow.store import Store

    schema = f"bench_mllp_{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in args.dsn else "?"
    listener_dsn = f"{args.dsn}{sep}application_name={APP_NAME}"
    if args.async_commit_diagnostic:  # commits return before the WAL is flushed: NOT durable
        listener_dsn += "&options=-c%20synchronous_commit%3Doff"
    Store(args.dsn, schema, "bench@1").migrate()
    flush_before = commit_latency_ms(args.dsn, schema)
    run_tag = uuid.uuid4().hex[:4].upper()
    enhanced = args.ack_mode == "enhanced"
    warm = build_messages(args.warmup, 0, args.seed, enhanced, run_tag)
    measured = build_messages(args.messages, args.warmup, args.seed, enhanced, run_tag)
    cmd = [sys.executable, "-m", "tools.bench_mllp", "--serve", "--dsn", listener_dsn, "--schema", schema,
           "--parse", args.parse, "--parse-workers", str(args.parse_workers), "--max-batch", str(args.max_batch)]
    if args.max_wait_ms is not None:
        cmd += ["--max-wait-ms", str(args.max_wait_ms)]
    if args.profile:
        cmd += ["--profile", args.profile]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(json.loads(proc.stdout.readline())["port"])
        accept = "CA" if enhanced else "AA"
        if warm:
            asyncio.run(send_all(port, warm, args.connections, accept))
        workers = child_pids(proc.pid)
        postmaster = postmaster_pid(args.dsn)
        backends: dict[int, float] = {}
        before = sample_cpu(proc.pid, workers, postmaster, backends, args.dsn)
        senders0 = time.process_time()
        result = asyncio.run(send_all(port, measured, args.connections, accept))
        senders = time.process_time() - senders0
        after = sample_cpu(proc.pid, workers, postmaster, backends, args.dsn)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        stats = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        stored = stored_ids(args.dsn, schema)
        flush_after = commit_latency_ms(args.dsn, schema)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if not args.keep_schema:
            with psycopg.connect(args.dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    n = len(result.latencies)
    wall = result.last_ack - result.first_send
    missing = [cid for cid in result.acked if stored.get(cid, 0) < 1]
    per_msg = {
        "listener": after.listener - before.listener,
        "parse_workers": after.workers - before.workers,
        "postgres_listener_backends": after.postgres_live - before.postgres_live,
        "postgres_ended_backends": after.postgres_ended - before.postgres_ended,
        "senders": senders,
    }
    busy = after.machine_busy - before.machine_busy
    machine = after.machine_total - before.machine_total
    figures: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "parse": args.parse, "ack_mode": args.ack_mode, "connections": args.connections,
        "parse_workers": args.parse_workers, "messages": n, "seconds": round(wall, 3),
        "msg_per_s": round(n / wall, 1) if wall > 0 else 0.0,
        "latency_ms": {q: round(percentile(result.latencies, float(q[1:])) * 1000, 2) for q in ("p50", "p95", "p99")}
        | {"max": round(max(result.latencies, default=0.0) * 1000, 2)},
        "cpu_ms_per_msg": {k: round(v * 1000 / max(n, 1), 3) for k, v in per_msg.items()},
        "machine_cpu_busy": round(busy / machine, 3) if machine else None,
        "acks": dict(result.codes), "acked": len(result.acked), "missing_from_store": len(missing),
        "commits": stats.get("commits"), "mean_group": round(stats["rows"] / stats["commits"], 1)
        if stats.get("commits") else None, "largest_group": stats.get("largest"),
        "wal_flush_ms": [flush_before, flush_after],
        "loadavg_1min": round(os.getloadavg()[0], 2),
        "synchronous_commit": "off (diagnostic, not durable)" if args.async_commit_diagnostic else "on",
        "commit_ms": round(stats["stage_seconds"] * 1000 / stats["commits"], 2) if stats.get("commits") else None,
    }
    print_figures(figures, os.cpu_count() or 0)
    if args.json:
        print(json.dumps(figures))
    return 1 if missing else 0


#: ACKs after commit per second before the group commit (README, 2026-12-06, 8 connections)
#: and issue 12's target
BASELINE_ACKS_PER_S = {"trivial": 226, "hl7": 106}
TARGET_ACKS_PER_S = 1000


def print_figures(f: dict[str, Any], cores: int) -> None:
    lat, cpu = f["latency_ms"], f["cpu_ms_per_msg"]
    print(f"MLLP bench {f['date']}, {cores} CPUs: parse={f['parse']} ack-mode={f['ack_mode']} "
          f"connections={f['connections']} parse-workers={f['parse_workers']} "
          f"synchronous_commit={f['synchronous_commit']}")
    print(f"  {f['messages']:,} ACKed in {f['seconds']:.2f} s: {f['msg_per_s']:,.1f} msg/s")
    print(f"  ACK latency ms: p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  max {lat['max']}")
    print("  CPU ms/msg: " + "  ".join(f"{k} {v}" for k, v in cpu.items())
          + f"  (machine busy {f['machine_cpu_busy']:.0%}, all processes)")
    print(f"  commits {f['commits']}, mean group {f['mean_group']}, largest {f['largest_group']}, "
          f"{f['commit_ms']} ms per commit (Store.stage, wall; warm-up included)")
    print(f"  ACK codes {f['acks']}; ACKed and missing from PostgreSQL: {f['missing_from_store']}")
    flush = f["wal_flush_ms"]
    worst = max(flush)
    print(f"  one-row durable commit on this server, median ms before/after: {flush[0]} / {flush[1]} -> "
          f"{f['connections']} lockstep senders share at most one flush: ceiling ~{f['connections'] * 1000 / worst:,.0f}-"
          f"{f['connections'] * 1000 / max(min(flush), 0.01):,.0f} msg/s")
    print(f"  load average (1 min) at the end: {f['loadavg_1min']} (other jobs on this machine count too)")
    verdict = "met" if f["msg_per_s"] >= TARGET_ACKS_PER_S and not f["missing_from_store"] else "NOT met"
    print(f"  against issue 12: {f['msg_per_s']:,.0f} ACKs after commit/s (before group commit: "
          f"{BASELINE_ACKS_PER_S['trivial']} with the trivial parser, {BASELINE_ACKS_PER_S['hl7']} with hl7apy; "
          f"target >= {TARGET_ACKS_PER_S:,} over 8 connections: {verdict}), p99 ACK {lat['p99']} ms")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        return serve(args)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
