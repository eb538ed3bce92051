"""``make bench-archive``: end-to-end throughput on a synthetic HL7 v2 archive.

Writes an archive of ``--messages`` generated messages in the ``<root>/YYYY/MM/DD/``
layout, then times each step of the production path separately: reading and parsing the
files, ``Store.stage``, and claim -> ``Pipeline.process`` -> ``Store.save_results`` in
batches (``process_in_processes``: ``--processes`` processes of ``process_pending``, what
``intakeflow process`` and, in one process, ``ProcessMessagesOperator`` do), the
model alone on the same texts (the reference for the process step), then the FHIR
write-back of ``--writeback`` processed messages in transaction Bundles of
``--bundle-size`` messages. PostgreSQL: ``--dsn``, else ``INTAKEFLOW_POSTGRES_DSN``, else
the local server if reachable, else an embedded one; each run uses a fresh schema and
drops it at the end. Prints counts and timings only; everything it started is stopped on
exit. It asserts nothing.

Each phase has two figures: wall-clock messages/s (what a run takes; on a shared machine it
moves with the other jobs) and CPU time per message: this process (``time.process_time``:
all its threads), the PostgreSQL backends it used (read from ``/proc`` when the server runs
on this machine; ``-`` otherwise) and the embedded FHIR server. ``msg/CPU-s`` is messages
per second of all that CPU together, the figure that moves least with the machine's load.
The wall figures stand beside the baseline of issue 12 (main before the end-to-end work,
10,000 messages on this machine).
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.pipeline.model.runtime import OnnxModel
from intakeflow.results import InboundMessage, PipelineResult, Quarantined
from intakeflow.sources import FhirClient, iter_archive
from intakeflow.store import Store
from intakeflow.store.processing import ProcessShare, process_in_processes
from intakeflow.store.staged import StagedMessage
from intakeflow.writeback import FhirWriter, WriteOutcome, deliver_pending
from intakeflow.writeback.writer import DEFAULT_BUNDLE_SIZE
from tools.demo_data import ArchiveSummary, demo_texts, write_hl7_archive

LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"
#: issue 12's targets: archive -> PostgreSQL (stage + process) messages/s, and as a share
#: of the model alone on the same texts; FHIR write-back messages/s
TARGET_RATE = 300.0
TARGET_MODEL_SHARE = 0.6
TARGET_WRITEBACK = 150.0
#: issue 12's baseline: main before the end-to-end work, `make bench-archive` (10,000
#: messages) on this machine, wall-clock messages/s
BASELINE: dict[str, float] = {"read": 186.0, "process": 193.0, "end_to_end": 95.0, "writeback": 61.0,
                              "writeback_resources": 183.0, "model_per_thread": 220.0}
THREADS = 2
FIRST_DAY = datetime(2024, 3, 4, tzinfo=UTC)  # fixed, so runs are comparable
DAYS = 5
FILES_PER_DAY = 10


@dataclass
class Phase:
    name: str
    seconds: float
    messages: int | None = None
    cpu_s: float | None = None  # this process
    server_s: float | None = None  # PostgreSQL backends (and the embedded FHIR server)
    baseline: float | None = None  # messages/s

    def per_second(self) -> float | None:
        if self.messages is None or self.seconds <= 0:
            return None
        return self.messages / self.seconds

    def rate(self) -> str:
        value = self.per_second()
        return "-" if value is None else f"{value:.1f}"

    def per_message_ms(self, seconds: float | None) -> str:
        return "-" if seconds is None or not self.messages else f"{1000 * seconds / self.messages:.2f}"

    def per_cpu_second(self) -> str:
        total = (self.cpu_s or 0.0) + (self.server_s or 0.0)
        return "-" if self.cpu_s is None or not self.messages or total <= 0 else f"{self.messages / total:.1f}"


class ServerCpu:
    """CPU seconds of the PostgreSQL backends this process opens (each backend is forked for
    one connection: its whole life is ours) and of child processes it is given, read from
    ``/proc``; ``available`` is False when the PostgreSQL server is not on this machine.
    Installed by wrapping ``psycopg.connect`` for the run (the store opens every connection
    through it)."""

    def __init__(self) -> None:
        self.backends_s = 0.0
        self.available = True
        self.processes: list[int] = []

    @staticmethod
    def _thread_cpu(pid: int) -> float | None:
        try:  # nanoseconds on CPU of a single-threaded process (a PostgreSQL backend)
            with open(f"/proc/{pid}/schedstat") as f:
                return int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            return None

    @staticmethod
    def _process_cpu(pid: int) -> float:
        try:  # utime + stime of all threads, in clock ticks
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return 0.0

    @contextmanager
    def installed(self) -> Iterator[ServerCpu]:
        meter = self

        class MeteredConnection(psycopg.Connection[Any]):
            _bench_backend: int | None = None

            def close(self) -> None:
                pid = self._bench_backend
                if pid is not None and not self.closed:
                    self._bench_backend = None
                    spent = meter._thread_cpu(pid)
                    if spent is None:
                        meter.available = False
                    else:
                        meter.backends_s += spent
                super().close()

        def connect(*args: Any, **kwargs: Any) -> Any:
            conn = MeteredConnection.connect(*args, **kwargs)
            conn._bench_backend = conn.info.backend_pid
            return conn

        original = psycopg.connect
        psycopg.connect = connect
        try:
            yield self
        finally:
            psycopg.connect = original

    def total(self) -> float:
        return self.backends_s + sum(self._process_cpu(pid) for pid in self.processes)


def _own_cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the processes of
    ``--processes``, joined when their phase ends)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@contextmanager
def measured(phases: list[Phase], name: str, servers: ServerCpu, messages: int | None = None,
             baseline: float | None = None) -> Iterator[Phase]:
    """Append a phase timed over the block: wall, this process's CPU, the servers' CPU."""
    phase = Phase(name, 0.0, messages, baseline=baseline)
    w, c, srv = time.perf_counter(), _own_cpu(), servers.total()
    yield phase
    phase.seconds = time.perf_counter() - w
    phase.cpu_s = _own_cpu() - c
    phase.server_s = servers.total() - srv if servers.available else None
    phases.append(phase)


class CountingWriter(FhirWriter):
    """The core writer, tallying the per-resource outcomes of each delivered message."""

    def __init__(self, client: FhirClient, **options: Any) -> None:
        super().__init__(client, **options)
        self.resources: Counter[str] = Counter()

    def write_many(self, pairs: Sequence[tuple[StagedMessage, PipelineResult]]) -> list[WriteOutcome]:
        outcomes = super().write_many(pairs)
        self.resources.update(r.status for outcome in outcomes for r in outcome.records)
        return outcomes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="intakeflow-bench-archive", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--messages", type=int, default=10_000, help="messages in the synthetic archive")
    p.add_argument("--dsn", default=None, help="PostgreSQL DSN (default: $INTAKEFLOW_POSTGRES_DSN, local, embedded)")
    p.add_argument("--fhir-url", default=None, help="FHIR base URL (default: $INTAKEFLOW_FHIR_URL, else embedded)")
    p.add_argument("--writeback", type=int, default=300, help="processed messages to write back (0: skip)")
    p.add_argument("--batch-size", type=int, default=64, help="messages per claim, as ProcessMessagesOperator")
    p.add_argument("--processes", type=int, default=2,
                   help="processes sharing the queue, as `intakeflow process --processes` (process_in_processes)")
    p.add_argument("--workers", type=int, default=1, help="batches in Pipeline.process at once, per process")
    p.add_argument("--threads", type=int, default=1, help="model threads (PipelineConfig.threads)")
    p.add_argument("--bundle-size", type=int, default=DEFAULT_BUNDLE_SIZE,
                   help="messages per FHIR transaction Bundle of the write-back")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--model-path", type=Path, default=None, help="model artifact folder (default: bundled)")
    args = p.parse_args(argv)
    if min(args.messages, args.batch_size, args.processes, args.workers, args.bundle_size, args.threads) < 1 \
            or args.writeback < 0:
        p.error("--messages, --batch-size, --processes, --workers, --threads and --bundle-size must be at least 1, "
                "--writeback at least 0")
    return args


def choose_postgres(arg: str | None, tmp: Path, stack: ExitStack) -> tuple[str, str]:
    """(DSN, a label to print): the DSN itself may hold a password, so it is never printed."""
    if arg:
        return arg, "--dsn"
    if os.environ.get("INTAKEFLOW_POSTGRES_DSN"):
        return os.environ["INTAKEFLOW_POSTGRES_DSN"], "$INTAKEFLOW_POSTGRES_DSN"
    try:
        psycopg.connect(LOCAL_DSN, connect_timeout=3).close()
        return LOCAL_DSN, "local 127.0.0.1:5432"
    except psycopg.Error:
        pass
    from intakeflow.embedded.postgres import EmbeddedPostgres

    print("starting embedded PostgreSQL ...", flush=True)
    return stack.enter_context(EmbeddedPostgres(tmp / "postgres", delete=True)).dsn(), "embedded pgserver"


def choose_fhir(arg: str | None, tmp: Path, stack: ExitStack) -> tuple[str, str, int | None]:
    """(base URL, a label to print, the pid of the embedded server or None)."""
    if arg:
        return arg, "--fhir-url", None
    if os.environ.get("INTAKEFLOW_FHIR_URL"):
        return os.environ["INTAKEFLOW_FHIR_URL"], "$INTAKEFLOW_FHIR_URL", None
    from intakeflow.embedded.fhir_server import EmbeddedFhirServer

    print("starting embedded FHIR server ...", flush=True)
    server = stack.enter_context(EmbeddedFhirServer(tmp / "fhir"))
    return server.base_url, "embedded sekmet-fhir", server.pid


def drop_schema(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def table(phases: list[Phase]) -> str:
    lines = [f"{'phase':<44}{'messages':>9}{'seconds':>9}{'msg/s':>9}{'baseline':>10}"
             f"{'CPU ms/msg':>12}{'server ms/msg':>15}{'msg/CPU-s':>11}"]
    for ph in phases:
        count = "-" if ph.messages is None else str(ph.messages)
        base = "-" if ph.baseline is None else f"{ph.baseline:.0f}"
        lines.append(f"{ph.name:<44}{count:>9}{ph.seconds:>9.2f}{ph.rate():>9}{base:>10}"
                     f"{ph.per_message_ms(ph.cpu_s):>12}{ph.per_message_ms(ph.server_s):>15}{ph.per_cpu_second():>11}")
    return "\n".join(lines)


def _sum(name: str, parts: list[Phase], messages: int, baseline: float | None = None) -> Phase:
    """A phase made of consecutive phases (their figures added)."""
    def add(values: list[float | None]) -> float | None:
        return None if any(v is None for v in values) else sum(v for v in values if v is not None)

    return Phase(name, sum(p.seconds for p in parts), messages, add([p.cpu_s for p in parts]),
                 add([p.server_s for p in parts]), baseline)


def _fmt(counter: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()) if v) or "none"


def run(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    phases: list[Phase] = []
    servers = stack.enter_context(ServerCpu().installed())
    t = time.perf_counter()
    root = tmp / "archive"
    archive: ArchiveSummary = write_hl7_archive(
        root, demo_texts(args.messages, args.seed), FIRST_DAY, days=DAYS, files_per_day=FILES_PER_DAY, seed=args.seed
    )
    phases.append(Phase("setup: generate + write archive", time.perf_counter() - t, archive.messages))
    print(f"archive: {archive.messages} HL7 v2 messages in {archive.files} files over {len(archive.days)} days "
          f"({archive.without_text} without text)", flush=True)

    dsn, pg_label = choose_postgres(args.dsn, tmp, stack)
    schema = f"bench_{datetime.now(UTC):%Y%m%d%H%M%S}_{uuid.uuid4().hex[:6]}"
    stack.callback(drop_schema, dsn, schema)  # registered first: runs even if migrate fails
    print(f"PostgreSQL: {pg_label}, schema {schema} (dropped at the end)", flush=True)

    t = time.perf_counter()
    config = PipelineConfig(threads=args.threads)
    if args.model_path is not None:
        config.model_path = args.model_path
    pipeline = Pipeline(config)
    # the reference for the process step: the model alone, THREADS threads whatever --threads
    reference = pipeline.model if args.threads == THREADS else OnnxModel(config.model_path, THREADS)
    phases.append(Phase(f"setup: load model ({args.threads} threads)", time.perf_counter() - t))
    store = Store(dsn, schema=schema, pipeline_version=pipeline.version)
    store.migrate()

    with measured(phases, "read + parse archive (hl7apy)", servers, baseline=BASELINE["read"]) as read:
        items = list(iter_archive(root, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS)))
    read.messages = len(items)
    parsed = sum(isinstance(i, InboundMessage) for i in items)
    at_source = Counter(i.reason_code for i in items if isinstance(i, Quarantined))

    with measured(phases, "stage (Store.stage)", servers, len(items)) as stage:
        staged = store.stage(items, f"bench:{schema}")

    work = ProcessShare.of(store, config, args.batch_size, args.workers, f"bench:{schema}")
    with measured(phases, f"process ({args.batch_size}/batch, {args.processes} proc x {args.workers} workers, "
                  f"{args.threads} thr)", servers, baseline=BASELINE["process"]) as process:
        tally = process_in_processes(work, args.processes, pipeline, store, f"bench:{schema}:process")
    if args.processes > 1:
        process.server_s = None  # the spawned processes' PostgreSQL connections are not metered
    outcomes, batches = tally.outcomes, tally.batches
    del outcomes["claimed"]  # the others add up to the claimed messages
    handled = process.messages = sum(outcomes.values())
    through_pg = _sum("stage + process (through PostgreSQL)", [stage, process], len(items))
    total = _sum("end to end (read + stage + process)", [read, stage, process], archive.messages,
                 BASELINE["end_to_end"])
    phases += [through_pg, total]

    # the reference for the process step: the model alone on the same texts
    texts = [i.text for i in items if isinstance(i, InboundMessage)]
    with measured(phases, f"model alone, same texts ({THREADS} threads)", servers, len(texts),
                  BASELINE["model_per_thread"] * THREADS) as model:
        for k in range(0, len(texts), args.batch_size):
            reference.predict(texts[k : k + args.batch_size])

    print()
    print(table(phases))
    print(f"parsed {parsed}, quarantined at source {sum(at_source.values())} ({_fmt(at_source)}); "
          f"staged {staged.staged}, duplicates {staged.duplicates}; {batches} batches: {_fmt(outcomes)}; "
          f"Pipeline.process busy {tally.pipeline_s:.2f}s over {process.seconds:.2f}s")
    print(f"store status: {_fmt({k: v for k, v in store.counts().items() if k != 'total'})}")
    if not servers.available:
        print("server CPU: PostgreSQL is not on this machine, its CPU is not counted")
    rate = through_pg.per_second() or 0.0
    share = rate / (model.per_second() or 1.0)
    verdict = "met" if rate >= TARGET_RATE and share >= TARGET_MODEL_SHARE else "NOT met"
    print(f"end-to-end rate: {rate:.1f} messages/s through staging, processing and PostgreSQL, "
          f"{share:.2f} of the model alone ({model.rate()} messages/s) (target >= {TARGET_RATE:.0f} and >= "
          f"{TARGET_MODEL_SHARE}: {verdict}); {archive.messages / total.seconds:.1f} messages/s including reading "
          f"and parsing (baseline {BASELINE['end_to_end']:.0f}); CPU: {through_pg.per_cpu_second()} messages per "
          f"CPU-second through PostgreSQL, {total.per_cpu_second()} including reading and parsing")

    ok = outcomes["processed"] > 0 and handled > 0
    if args.writeback:
        ok = writeback(args, store, tmp, stack, servers, through_pg) and ok
    return 0 if ok else 1


def writeback(args: argparse.Namespace, store: Store, tmp: Path, stack: ExitStack, servers: ServerCpu,
              upstream: Phase) -> bool:
    """Deliver ``--writeback`` processed messages; the target is judged on the whole path, the
    archive through PostgreSQL (``upstream``) and then to FHIR, per message."""
    url, label, pid = choose_fhir(args.fhir_url, tmp, stack)
    servers.processes = [pid] if pid is not None else []  # the embedded server's CPU is counted too
    phases: list[Phase] = []
    with FhirClient(url, timeout=30.0) as client:
        writer = CountingWriter(client, bundle_size=args.bundle_size)
        with measured(phases, f"FHIR write-back ({args.bundle_size}/Bundle)", servers,
                      baseline=BASELINE["writeback"]) as phase:
            counts = deliver_pending(store, writer, limit=args.writeback)
        phase.messages = counts["delivered"]
    seconds = phase.seconds
    sent = sum(n for status, n in writer.resources.items() if status in ("created", "updated", "unchanged"))
    messages = sum(counts.values())
    print()
    print(table(phases))
    print(f"FHIR write-back ({label}): {messages} messages in {seconds:.2f}s: {_fmt(counts)}; "
          f"resources {_fmt(writer.resources)}")
    rate = counts["delivered"] / seconds if seconds else 0.0
    # one message's time through the whole path: its share of staging and processing, then of
    # the write-back (the two run one after the other in a DAG run)
    per_message = upstream.seconds / (upstream.messages or 1) + (1 / rate if rate else math.inf)
    whole = 1 / per_message
    verdict = "met" if whole >= TARGET_WRITEBACK else "NOT met"
    print(f"write-back rate: {sent / seconds if seconds else 0.0:.1f} resources/s, {rate:.1f} messages/s "
          f"(baseline {BASELINE['writeback_resources']:.0f} resources/s, {BASELINE['writeback']:.0f} messages/s)")
    print(f"archive -> PostgreSQL -> FHIR, staging, processing and write-back one after the other: {whole:.1f} "
          f"messages/s (target >= {TARGET_WRITEBACK:.0f} messages/s: {verdict})")
    return counts["delivered"] > 0


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack: schema dropped, servers stopped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        with ExitStack() as stack:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="intakeflow-bench-")))
            return run(args, tmp, stack)
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
