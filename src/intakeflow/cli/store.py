"""``intakeflow stage hl7|fhir``, ``intakeflow process``, ``intakeflow status``: the staging
store from a shell, without Airflow, on the same core the operators call (``read_file``,
``communication_to_inbound``, ``Store``, ``process_pending``, ``deliver_pending``).

Each command prints one JSON line of counts on stdout (``status``: a table, or JSON with
``--json``) and never message text, identifiers or the DSN. Exit status: 0 when done
(quarantined inputs are an outcome, not a failure); 2 on usage errors; 1 when the store or
the FHIR server cannot be reached, with one catalogue-coded line on stderr.

The store is ``--dsn``, else ``$INTAKEFLOW_POSTGRES_DSN``, else the embedded PostgreSQL under
``.state/postgres`` (started for the command and stopped after it; its data stays).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from intakeflow.cli.common import positive_int, usage_error
from intakeflow.errors import E, IntakeflowError

if TYPE_CHECKING:
    from intakeflow.pipeline import Pipeline
    from intakeflow.results import PipelineResult, SourceItem
    from intakeflow.store import Store
    from intakeflow.writeback.writer import FhirWriter

#: the schema the example DAGs default to (``operators/dag_defaults.py`` DEFAULT_SCHEMA; that module imports Airflow)
DEFAULT_SCHEMA = "intakeflow"
DSN_ENV = "INTAKEFLOW_POSTGRES_DSN"
#: bearer token for ``--write-back`` (optional)
FHIR_TOKEN_ENV = "INTAKEFLOW_FHIR_TOKEN"
EMBEDDED_DIR = Path(".state") / "postgres"
#: statuses of ``intakeflow status``, in order; ``staged`` is the store's ``received``
FHIR_SUFFIXES: tuple[str, ...] = (".ndjson", ".jsonl", ".json")
STATUS_KEYS: tuple[str, ...] = ("staged", "processed", "delivered", "quarantined", "failed", "filtered")
_SOURCE_NAME = re.compile(r"^[a-z][a-z0-9_-]*(:[a-z0-9_.-]+)?$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Unreachable(Exception):
    """The store or the FHIR server could not be reached; ``line`` is the coded message."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


# -- arguments ---------------------------------------------------------------------------------


def _source_name(value: str) -> str:
    if not _SOURCE_NAME.match(value):
        raise argparse.ArgumentTypeError("a lower-case name such as hl7v2, fhir or fhir:<name>")
    return value


def _schema_name(value: str) -> str:
    if not _SCHEMA_NAME.match(value):
        raise argparse.ArgumentTypeError("a lower-case SQL identifier (letters, digits, _)")
    return value


def _store_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--dsn", default=None,
                    help=f"PostgreSQL DSN of the store (default: ${DSN_ENV}, else the embedded PostgreSQL "
                         f"under {EMBEDDED_DIR})")
    sp.add_argument("--schema", type=_schema_name, default=DEFAULT_SCHEMA,
                    help=f"schema of the store (default: {DEFAULT_SCHEMA}, as the DAGs)")
    sp.add_argument("--model", default=None,
                    help="model artifact folder; its version keys the rows (default: the bundled model)")


def add_store_parsers(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Register ``stage`` (``hl7``, ``fhir``), ``process`` and ``status`` on ``build_parser``'s
    subparsers; returns the ``stage`` command's subparsers (``fhir-bulk`` is added there)."""
    stage = sub.add_parser("stage", help="read HL7 v2 or FHIR files into the staging store (no Airflow)")
    kinds = stage.add_subparsers(dest="kind", required=True)

    sp = kinds.add_parser("hl7", help="HL7 v2 files or folders (recursive): plain, batch, MLLP-framed, .gz")
    sp.add_argument("paths", nargs="+", metavar="PATH")
    _store_args(sp)
    sp.add_argument("--source", type=_source_name, default=None, help="staging source name (default: hl7v2)")
    sp.add_argument("--filters", default=None, metavar="FILE",
                    help="JSON filter rules for messages without text (default: $INTAKEFLOW_FILTERS, else built-in)")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_stage_hl7)

    sp = kinds.add_parser("fhir", help="FHIR Bundle JSON and Bulk Data NDJSON files of Communications, or folders")
    sp.add_argument("paths", nargs="+", metavar="PATH")
    _store_args(sp)
    sp.add_argument("--source", type=_source_name, default=None, help="staging source name (default: fhir)")
    sp.add_argument("--status", action="append", dest="statuses", metavar="STATUS",
                    help="Communication status to read, repeatable (default: completed, as the FHIR DAG; "
                         "'any' reads all); others count as filtered")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_stage_fhir)

    sp = sub.add_parser("process", help="run the pipeline over staged messages, optionally write back to FHIR")
    _store_args(sp)
    sp.add_argument("--batch-size", type=positive_int, default=64, help="messages per claim and pipeline batch")
    sp.add_argument("--workers", type=positive_int, default=2,
                    help="batches in the pipeline at once, each on its own thread and up to a core (default: 2)")
    sp.add_argument("--processes", type=positive_int, default=1,
                    help="processes sharing the queue, each with its own model and --workers threads; the "
                         "pipeline's Python holds one interpreter lock per process, so on 2 cores 2 processes "
                         "of 1 worker each go faster than 1 of 2 (default: 1)")
    sp.add_argument("--write-back", metavar="FHIR_URL", default=None,
                    help=f"FHIR R4 base URL to write results back to (bearer token: ${FHIR_TOKEN_ENV})")
    sp.add_argument("--bundle-size", type=positive_int, default=None,
                    help="messages per FHIR transaction Bundle of --write-back (default: 25)")
    sp.set_defaults(func=cmd_process)

    sp = sub.add_parser("status", help="messages by status and quarantine entries by code")
    _store_args(sp)
    sp.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    sp.set_defaults(func=cmd_status)
    return kinds


# -- commands ----------------------------------------------------------------------------------


def cmd_stage_hl7(args: argparse.Namespace) -> int:
    from intakeflow.sources.filters import load_filters
    from intakeflow.sources.hl7_files import is_archive_name, read_file

    files = _collect(args.paths, is_archive_name)
    if isinstance(files, str):
        return usage_error("stage hl7", files)
    try:
        filters = load_filters(args.filters)
    except IntakeflowError as exc:
        return usage_error("stage hl7", str(exc))

    def read(path: Path, root: Path | None) -> Iterator[SourceItem]:
        for item in read_file(path, root, filters):
            yield _renamed(item, args.source)

    return _stage(args, files, read, Counter())


def __getattr__(name: str) -> Any:
    """``read_fhir_file``, whose home this module was, imported when first asked for (it
    loads fhir.resources; the CLI's other commands do not need it)."""
    if name == "read_fhir_file":
        from intakeflow.sources.fhir_files import read_fhir_file

        return read_fhir_file
    raise AttributeError(name)


def cmd_stage_fhir(args: argparse.Namespace) -> int:
    from intakeflow.sources.fhir_files import read_fhir_file

    files = _collect(args.paths, _is_fhir_name)
    if isinstance(files, str):
        return usage_error("stage fhir", files)
    statuses = args.statuses or ["completed"]
    wanted = None if "any" in statuses else frozenset(statuses)
    source = args.source or "fhir"
    filtered: Counter[str] = Counter()

    def read(path: Path, root: Path | None) -> Iterator[SourceItem]:
        return read_fhir_file(path, root, source=source, statuses=wanted, filtered=filtered)

    return _stage(args, files, read, filtered)


def cmd_process(args: argparse.Namespace) -> int:
    from intakeflow.store.processing import ProcessShare, process_in_processes

    try:
        pipeline = _build_pipeline(args.model)
    except IntakeflowError as exc:
        return usage_error("process", str(exc))
    run_id = _run_id("process")
    token = f"{run_id}:{socket.gethostname()}:{os.getpid()}"
    summary = {"processed": 0, "quarantined": 0, "failed": 0, "delivered": 0}
    with ExitStack() as stack:
        try:
            writer = _writer(args.write_back, stack, args.bundle_size) if args.write_back else None
            store = _open_store(args, pipeline.version, stack, migrate=True)
            share = ProcessShare.of(store, pipeline.config, args.batch_size, args.workers, run_id)
            tally = _guarded(lambda: process_in_processes(share, args.processes, pipeline, store, token))
            for key in ("processed", "quarantined", "failed"):
                summary[key] += tally.outcomes[key]
            if writer is not None:
                for key, n in _write_back(store, writer, args.batch_size).items():
                    summary[key] += n
        except Unreachable as exc:
            if any(summary.values()):  # work already committed: say what it was
                print(json.dumps(summary))
            print(exc.line, file=sys.stderr)
            return 1
    print(json.dumps(summary))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    try:
        version = _version(args.model)
    except IntakeflowError as exc:
        return usage_error("status", str(exc))
    with ExitStack() as stack:
        try:
            store = _open_store(args, version, stack, migrate=False)
            report = store_status(store)
        except Unreachable as exc:
            print(exc.line, file=sys.stderr)
            return 1
    print(json.dumps(report) if args.json else format_status(report))
    return 0


# -- staging -----------------------------------------------------------------------------------


def _stage(
    args: argparse.Namespace,
    files: list[tuple[Path, Path | None]],
    read: Callable[[Path, Path | None], Iterator[SourceItem]],
    filtered: Counter[str],
) -> int:
    from tqdm import tqdm

    try:
        version = _version(args.model)
    except IntakeflowError as exc:
        return usage_error(f"stage {args.kind}", str(exc))
    with ExitStack() as stack:
        try:
            store = _open_store(args, version, stack, migrate=True)
            bar = stack.enter_context(tqdm(total=len(files), unit="file", file=sys.stderr, disable=args.quiet))

            def items() -> Iterator[SourceItem]:
                for path, root in files:
                    yield from read(path, root)
                    bar.update(1)

            counts = _guarded(lambda: store.stage(items(), _run_id(f"stage-{args.kind}")))
        except Unreachable as exc:
            print(exc.line, file=sys.stderr)
            return 1
    print(json.dumps({**counts.as_dict(), "filtered": counts.filtered + sum(filtered.values())}))
    return 0


def _collect(paths: Iterable[str], wanted: Callable[[str], bool]) -> list[tuple[Path, Path | None]] | str:
    """(file, root for its origin name) for each file given and each matching file under each
    folder given (recursively, sorted, hidden names skipped); a problem as a string."""
    out: list[tuple[Path, Path | None]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            out.append((path, None))
        elif path.is_dir():
            found = (p for p in path.rglob("*") if p.is_file() and wanted(p.name))
            out.extend((p, path) for p in sorted(found) if not any(part.startswith(".") for part in p.relative_to(path).parts))
        else:
            return f"{raw}: no such file or folder"
    return out


def _renamed(item: SourceItem, source: str | None) -> SourceItem:
    return dataclasses.replace(item, source=source) if source else item


def _is_fhir_name(name: str) -> bool:
    lower = name.lower().removesuffix(".gz")
    return lower.endswith(FHIR_SUFFIXES) and not name.startswith(".")


# -- processing and write-back -----------------------------------------------------------------


def _build_pipeline(model: str | None) -> Pipeline:
    from intakeflow.pipeline import Pipeline, PipelineConfig
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT
    from intakeflow.pipeline.recognizers.site_formats import load_site_formats

    config = PipelineConfig(model_path=Path(model) if model else DEFAULT_ARTIFACT)
    config.site_formats = load_site_formats(None)  # $INTAKEFLOW_SITE_FORMATS, as the operator
    return Pipeline(config)


def _writer(url: str, stack: ExitStack, bundle_size: int | None = None) -> FhirWriter:
    """A writer on ``url``, after checking that the server answers (``GET metadata``); it
    stops the write-back at the first Bundle the server could not be reached for (E034)
    instead of retrying every pending one (its messages stay pending)."""
    from intakeflow.sources.fhir_client import FhirAuth, FhirClient
    from intakeflow.store.staged import StagedMessage
    from intakeflow.writeback.writer import DEFAULT_BUNDLE_SIZE, FhirWriter, WriteOutcome

    class StopWhenUnreachable(FhirWriter):
        def write(self, staged: StagedMessage, result: PipelineResult) -> WriteOutcome:
            return _stop_if_unreachable([super().write(staged, result)])[0]

        def write_many(self, pairs: Sequence[tuple[StagedMessage, PipelineResult]]) -> list[WriteOutcome]:
            return _stop_if_unreachable(super().write_many(pairs))

    def _stop_if_unreachable(outcomes: list[WriteOutcome]) -> list[WriteOutcome]:
        for outcome in outcomes:
            if outcome.error_code == "E034":
                raise Unreachable(outcome.error or E.E034_FHIR_UNREACHABLE.value)
        return outcomes

    token = os.environ.get(FHIR_TOKEN_ENV)
    try:
        client = stack.enter_context(FhirClient(url, FhirAuth("bearer", token=token) if token else None))
        client.capability()
    except IntakeflowError as exc:
        raise Unreachable(str(exc)) from None
    return StopWhenUnreachable(client, bundle_size=bundle_size or DEFAULT_BUNDLE_SIZE)


def _write_back(store: Store, writer: FhirWriter, size: int) -> dict[str, int]:
    """Deliver every pending result, as ``FhirWriteBackOperator`` does: batches of ``size``
    until a pass moves nothing or the queue is drained."""
    from intakeflow.writeback.writer import deliver_pending

    totals: Counter[str] = Counter()
    while True:
        counts = _guarded(lambda: deliver_pending(store, writer, size))
        totals.update(counts)
        if counts["delivered"] + counts["quarantined"] == 0 or sum(counts.values()) < size:
            return {k: totals[k] for k in ("delivered", "quarantined", "failed")}


# -- status ------------------------------------------------------------------------------------


def store_status(store: Store) -> dict[str, Any]:
    """Messages of the store's pipeline version by status, and quarantine entries by code.

    ``quarantined`` counts the quarantine table (inputs rejected at the source, and messages
    quarantined by the pipeline or write-back); ``filtered`` the inputs a filter rule recorded
    (expected traffic without text, such as ADT messages). A schema not created yet reads as
    empty."""
    from psycopg import sql

    by_code: dict[str, int] = {}
    counts: dict[str, int] = {}

    def read() -> None:
        with store.connect() as conn:
            exists = conn.execute("SELECT to_regclass(%s) AS t", [f'"{store.schema}".quarantine']).fetchone()
            if not exists or exists["t"] is None:
                return
            rows = conn.execute(sql.SQL(
                "SELECT reason_code AS code, count(*) AS n FROM {}.quarantine GROUP BY 1 ORDER BY 1"
            ).format(sql.Identifier(store.schema))).fetchall()
            by_code.update({str(r["code"]): int(r["n"]) for r in rows})
        counts.update(store.counts())

    _guarded(read)
    return {
        "schema": store.schema,
        "pipeline_version": store.pipeline_version,
        "staged": counts.get("received", 0),
        "processed": counts.get("processed", 0),
        "delivered": counts.get("delivered", 0),
        "quarantined": sum(by_code.values()),
        "failed": counts.get("failed", 0),
        "filtered": counts.get("filtered_rows", 0),
        "quarantine_by_code": by_code,
    }


def format_status(report: dict[str, Any]) -> str:
    lines = [f"store {report['schema']}, pipeline version {report['pipeline_version']}", ""]
    lines += [f"  {key:<12} {report[key]:>8}" for key in STATUS_KEYS]
    lines.append("  (quarantined: every quarantine entry; filtered: inputs a filter rule recorded, such as ADT "
                 "without text; FHIR resources of other types or statuses are counted by each stage run only)")
    lines += ["", "quarantine by code"]
    by_code: dict[str, int] = report["quarantine_by_code"]
    if not by_code:
        lines.append("  none")
    for code, n in by_code.items():
        lines.append(f"  {code:<6} {n:>8}  {_catalogue_name(code)}")
    return "\n".join(lines)


def _catalogue_name(code: str) -> str:
    """The catalogue title of ``code`` (else its entry's name), never a formatted reason."""
    entry = next((e for e in E if e.name.startswith(f"{code}_")), None)
    if entry is None:
        return ""
    return str(getattr(entry, "title", "") or entry.name.split("_", 1)[1].lower().replace("_", " "))


# -- the store ---------------------------------------------------------------------------------


def _version(model: str | None) -> str:
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, artifact_version

    return artifact_version(model or DEFAULT_ARTIFACT)


def _open_store(args: argparse.Namespace, version: str, stack: ExitStack, *, migrate: bool) -> Store:
    """The store of ``--dsn`` / ``$INTAKEFLOW_POSTGRES_DSN`` / the embedded PostgreSQL (started
    on ``stack``), checked to answer, its schema created or upgraded when ``migrate``."""
    import psycopg

    from intakeflow.store import Store

    dsn = args.dsn or os.environ.get(DSN_ENV)
    if not dsn:
        from intakeflow.embedded.postgres import EmbeddedPostgres

        print(f"intakeflow: no --dsn or ${DSN_ENV}: using the embedded PostgreSQL under {EMBEDDED_DIR}", file=sys.stderr)
        try:
            dsn = stack.enter_context(EmbeddedPostgres(EMBEDDED_DIR)).dsn()
        except IntakeflowError as exc:
            raise Unreachable(str(exc)) from None
        except (OSError, subprocess.SubprocessError) as exc:
            kind = f"embedded server did not start: {type(exc).__name__}"
            raise Unreachable(E.E051_STORE_UNREACHABLE.format(kind=kind)) from None
    store = Store(dsn, schema=args.schema, pipeline_version=version)
    try:
        psycopg.connect(dsn, connect_timeout=10).close()
    except psycopg.Error as exc:
        raise Unreachable(_store_line(exc)) from None
    if migrate:
        _guarded(store.migrate)
    return store


def _guarded(call: Callable[[], Any]) -> Any:
    """``call()``, a database error turned into :class:`Unreachable` (its type only:
    libpq messages can name hosts, users and values)."""
    import psycopg

    try:
        return call()
    except psycopg.Error as exc:
        raise Unreachable(_store_line(exc)) from None


def _store_line(exc: Exception) -> str:
    import psycopg

    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return E.E051_STORE_UNREACHABLE.format(kind=type(exc).__name__)
    return E.E050_CONFIG.format(why=f"PostgreSQL store refused the command ({type(exc).__name__})")


def _run_id(what: str) -> str:
    return f"intakeflow-cli:{what}:{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%fZ}"


