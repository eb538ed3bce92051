"""``make bench-archive``: end-to-end throughput on a synthetic HL7 v2 archive.

Writes an archive of ``--messages`` generated messages in the ``<root>/YYYY/MM/DD/``
layout, then times each step of the production path separately: reading and parsing the
files, ``Store.stage``, and claim -> ``Pipeline.process`` -> ``Store.save_results`` in
batches (what ``ProcessMessagesOperator`` does, without Airflow), then the FHIR
write-back of ``--writeback`` processed messages. PostgreSQL: ``--dsn``, else
``INTAKEFLOW_POSTGRES_DSN``, else the local server if reachable, else an embedded one;
each run uses a fresh schema and drops it at the end. Prints counts and timings only;
everything it started is stopped on exit. It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.results import InboundMessage, PipelineResult, Quarantined
from intakeflow.sources import FhirClient, iter_archive
from intakeflow.store import Store
from intakeflow.store.processing import process_pending
from intakeflow.store.staged import StagedMessage
from intakeflow.writeback import FhirWriter, WriteOutcome, deliver_pending
from tools.demo_data import ArchiveSummary, demo_texts, write_hl7_archive

LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATE = 150.0  # messages/s through staging, processing and PostgreSQL on 2 cores
THREADS = 2
FIRST_DAY = datetime(2024, 3, 4, tzinfo=UTC)  # fixed, so runs are comparable
DAYS = 5
FILES_PER_DAY = 10


@dataclass
class Phase:
    name: str
    seconds: float
    messages: int | None = None

    def per_second(self) -> float | None:
        if self.messages is None or self.seconds <= 0:
            return None
        return self.messages / self.seconds

    def rate(self) -> str:
        value = self.per_second()
        return "-" if value is None else f"{value:.1f}"


class CountingWriter(FhirWriter):
    """The core writer, tallying the per-resource outcomes of each delivered bundle."""

    def __init__(self, client: FhirClient, **options: Any) -> None:
        super().__init__(client, **options)
        self.resources: Counter[str] = Counter()

    def write(self, staged: StagedMessage, result: PipelineResult) -> WriteOutcome:
        outcome = super().write(staged, result)
        self.resources.update(r.status for r in outcome.records)
        return outcome


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="intakeflow-bench-archive", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--messages", type=int, default=10_000, help="messages in the synthetic archive")
    p.add_argument("--dsn", default=None, help="PostgreSQL DSN (default: $INTAKEFLOW_POSTGRES_DSN, local, embedded)")
    p.add_argument("--fhir-url", default=None, help="FHIR base URL (default: $INTAKEFLOW_FHIR_URL, else embedded)")
    p.add_argument("--writeback", type=int, default=300, help="processed messages to write back (0: skip)")
    p.add_argument("--batch-size", type=int, default=64, help="messages per claim, as ProcessMessagesOperator")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--model-path", type=Path, default=None, help="model artifact folder (default: bundled)")
    args = p.parse_args(argv)
    if args.messages < 1 or args.batch_size < 1 or args.writeback < 0:
        p.error("--messages and --batch-size must be at least 1, --writeback at least 0")
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


def choose_fhir(arg: str | None, tmp: Path, stack: ExitStack) -> tuple[str, str]:
    if arg:
        return arg, "--fhir-url"
    if os.environ.get("INTAKEFLOW_FHIR_URL"):
        return os.environ["INTAKEFLOW_FHIR_URL"], "$INTAKEFLOW_FHIR_URL"
    from intakeflow.embedded.fhir_server import EmbeddedFhirServer

    print("starting embedded FHIR server ...", flush=True)
    return stack.enter_context(EmbeddedFhirServer(tmp / "fhir")).base_url, "embedded sekmet-fhir"


def drop_schema(dsn: str, schema: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def table(phases: list[Phase]) -> str:
    lines = [f"{'phase':<44}{'messages':>10}{'seconds':>10}{'messages/s':>12}"]
    for ph in phases:
        count = "-" if ph.messages is None else str(ph.messages)
        lines.append(f"{ph.name:<44}{count:>10}{ph.seconds:>10.2f}{ph.rate():>12}")
    return "\n".join(lines)


def _fmt(counter: Counter[str] | dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()) if v) or "none"


def run(args: argparse.Namespace, tmp: Path, stack: ExitStack) -> int:
    phases: list[Phase] = []
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
    config = PipelineConfig(threads=THREADS)
    if args.model_path is not None:
        config.model_path = args.model_path
    pipeline = Pipeline(config)
    phases.append(Phase(f"setup: load model ({THREADS} threads)", time.perf_counter() - t))
    store = Store(dsn, schema=schema, pipeline_version=pipeline.version)
    store.migrate()

    t0 = time.perf_counter()
    items = list(iter_archive(root, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS)))
    read_s = time.perf_counter() - t0
    parsed = sum(isinstance(i, InboundMessage) for i in items)
    at_source = Counter(i.reason_code for i in items if isinstance(i, Quarantined))
    phases.append(Phase("read + parse archive", read_s, len(items)))

    t = time.perf_counter()
    staged = store.stage(items, f"bench:{schema}")
    stage_s = time.perf_counter() - t
    phases.append(Phase("stage (Store.stage)", stage_s, len(items)))

    t = time.perf_counter()
    tally = process_pending(store, pipeline, f"bench:{schema}:process", batch_size=args.batch_size)
    outcomes, pipeline_s, batches = tally.outcomes, tally.pipeline_s, tally.batches
    del outcomes["claimed"]  # the others add up to the claimed messages
    process_s = time.perf_counter() - t
    handled = sum(outcomes.values())
    phases.append(Phase(f"process (claim->process->save, {args.batch_size}/batch)", process_s, handled))
    phases.append(Phase("  of which Pipeline.process", pipeline_s, handled))
    phases.append(Phase("  of which PostgreSQL claim + save", process_s - pipeline_s, handled))
    through_pg = Phase("stage + process (through PostgreSQL)", stage_s + process_s, len(items))
    total = Phase("end to end (read + stage + process)", time.perf_counter() - t0, archive.messages)
    phases += [through_pg, total]

    print()
    print(table(phases))
    print(f"parsed {parsed}, quarantined at source {sum(at_source.values())} ({_fmt(at_source)}); "
          f"staged {staged.staged}, duplicates {staged.duplicates}; {batches} batches: {_fmt(outcomes)}")
    print(f"store status: {_fmt({k: v for k, v in store.counts().items() if k != 'total'})}")
    rate = through_pg.per_second() or 0.0
    verdict = "met" if rate >= TARGET_RATE else "NOT met"
    print(f"end-to-end rate: {rate:.1f} messages/s through staging, processing and PostgreSQL "
          f"(target >= {TARGET_RATE:.0f}: {verdict}); {archive.messages / total.seconds:.1f} messages/s "
          "including reading and parsing")

    ok = outcomes["processed"] > 0
    if args.writeback:
        ok = writeback(args, store, tmp, stack) and ok
    return 0 if ok else 1


def writeback(args: argparse.Namespace, store: Store, tmp: Path, stack: ExitStack) -> bool:
    url, label = choose_fhir(args.fhir_url, tmp, stack)
    with FhirClient(url, timeout=30.0) as client:
        writer = CountingWriter(client)
        t = time.perf_counter()
        counts = deliver_pending(store, writer, limit=args.writeback)
        seconds = time.perf_counter() - t
    sent = sum(n for status, n in writer.resources.items() if status in ("created", "updated", "unchanged"))
    messages = sum(counts.values())
    print(f"FHIR write-back ({label}): {messages} messages in {seconds:.2f}s: {_fmt(counts)}; "
          f"resources {_fmt(writer.resources)}")
    print(f"write-back rate: {sent / seconds if seconds else 0.0:.1f} resources/s, "
          f"{counts['delivered'] / seconds if seconds else 0.0:.1f} messages/s")
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
