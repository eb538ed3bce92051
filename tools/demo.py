"""``make demo``: the example DAGs end to end on a synthetic archive, with real Airflow.

Starts an embedded PostgreSQL (unless ``INTAKEFLOW_POSTGRES_DSN`` is set) and an embedded
FHIR server (unless ``INTAKEFLOW_FHIR_URL`` is set), writes a synthetic HL7 v2 archive and
POSTs synthetic Communications, then runs ``hl7_archive_intake`` for each archive day and
``fhir_communication_intake`` for each hour the Communications landed in, in-process with
``dag.test()`` (Airflow metadata in SQLite under the state folder, connections from
``AIRFLOW_CONN_*``). Every process it started is stopped on exit.

The console gets a progress bar per stage and a closing summary table: counts only, never
message text or PHI. Airflow's, pgserver's and the FHIR server's log records go to files
under ``<state>/logs`` (their paths are printed); ``--verbose`` keeps Airflow's and
pgserver's records on the console instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import shutil
import signal
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from intakeflow.errors import title_of
from tools.demo_data import ArchiveSummary, DemoText, communications, demo_texts, write_hl7_archive

if TYPE_CHECKING:
    from tqdm import tqdm

POSTGRES_CONN_ID = "intakeflow_postgres"
FHIR_CONN_ID = "intakeflow_fhir"
DAGS_FOLDER = Path(__file__).resolve().parents[1] / "dags"  # the repository's example DAG folder
HL7_DAG = "hl7_archive_intake"
FHIR_DAG = "fhir_communication_intake"
#: the summary table: label column, and the width its cells are packed into
LABEL_WIDTH = 20
TABLE_WIDTH = 80


@dataclass
class RunReport:
    dag_id: str
    window: str
    state: str
    task_seconds: dict[str, float] = field(default_factory=dict)
    failed_tasks: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


class DemoLogs:
    """Where the log records of Airflow, pgserver and the FHIR server go while the demo runs.

    Files under ``folder`` (``airflow.log``, ``pgserver.log``, ``fhir-server.log``, fresh each
    run), so the console keeps only the progress bars and the summary; with ``verbose``,
    Airflow's and pgserver's records stay on the console as before (the FHIR server, a child
    process, always writes to its file).

    Enter it before the embedded servers start and call :meth:`capture_airflow` right after
    Airflow's first import: importing Airflow configures logging to stdout, through the root
    logger's handler for the ``logging`` loggers and through structlog's logger factory for
    its own. Leaving restores everything it changed.
    """

    def __init__(self, folder: Path, *, verbose: bool = False) -> None:
        self.folder = folder
        self.verbose = verbose
        self.airflow = folder / "airflow.log"
        self.pgserver = folder / "pgserver.log"
        self.fhir_server = folder / "fhir-server.log"
        self._stack = ExitStack()
        self._airflow_io: TextIO | None = None
        self._showwarning = warnings.showwarning

    def __enter__(self) -> DemoLogs:
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in (self.airflow, self.pgserver, self.fhir_server):
            path.unlink(missing_ok=True)  # only this run's files are listed at the end
        if self.verbose:
            return self
        self._airflow_io = self._open(self.airflow)
        # plain text in the file (Airflow colours its records when stdout is a terminal)
        self._set_env("AIRFLOW__LOGGING__COLORED_CONSOLE_LOG", "False")
        # Python warnings until Airflow takes them over (platformdirs warns while pgserver starts)
        self._showwarning = warnings.showwarning
        warnings.showwarning = self._warning_to_file
        self._stack.callback(self._restore_showwarning)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()
        self._airflow_io = None
        if exc_type is not None and issubclass(exc_type, Exception) and not self.verbose:
            print(f"the demo stopped on an error; log records: {_show(self.folder)}", file=sys.stderr, flush=True)

    def capture_pgserver(self) -> None:
        """pgserver's records (its start, each pg_ctl call with its output, its stop) to
        ``pgserver.log``; call before the embedded PostgreSQL starts."""
        if self.verbose:
            return
        handler = logging.StreamHandler(self._open(self.pgserver))
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger = logging.getLogger("pgserver")
        saved = (logger.level, logger.propagate)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # Airflow's root handler would print them too

        def restore() -> None:
            logger.removeHandler(handler)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]

        self._stack.callback(restore)

    def capture_airflow(self) -> None:
        """Point Airflow's console logging at ``airflow.log``; call after ``import airflow``."""
        if self._airflow_io is None:
            return
        import structlog

        out: TextIO = self._airflow_io
        for handler in logging.getLogger().handlers:
            if type(handler) is logging.StreamHandler:  # Airflow's console handler (not a subclass: files, pytest's)
                previous = handler.setStream(out)
                self._stack.callback(handler.setStream, previous)
        saved = {key: structlog.get_config()[key] for key in ("logger_factory", "cache_logger_on_first_use")}
        # not cached: a logger first used during the demo must not keep writing to the file after it
        structlog.configure(logger_factory=_named_file_logger_factory(out), cache_logger_on_first_use=False)
        self._stack.callback(lambda: structlog.configure(**saved))

    def written(self) -> list[tuple[Path, str]]:
        """The log files this run wrote, with what each holds."""
        files = [
            (self.airflow, "Airflow: DAG runs, task logs, warnings"),
            (self.pgserver, "embedded PostgreSQL (pgserver)"),
            (self.fhir_server, "embedded FHIR server"),
        ]
        return [(path, what) for path, what in files if path.exists()]

    def _open(self, path: Path) -> TextIO:
        stream = path.open("w", encoding="utf-8", buffering=1)
        self._stack.callback(stream.close)
        return stream

    def _set_env(self, key: str, value: str) -> None:
        previous = os.environ.get(key)
        os.environ[key] = value

        def restore() -> None:
            if previous is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = previous

        self._stack.callback(restore)

    def _warning_to_file(
        self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
        file: TextIO | None = None, line: str | None = None,
    ) -> None:
        out = self._airflow_io
        if file is not None or out is None or out.closed:
            self._showwarning(message, category, filename, lineno, file, line)
        else:
            out.write(warnings.formatwarning(message, category, filename, lineno, line))

    def _restore_showwarning(self) -> None:
        if warnings.showwarning == self._warning_to_file:  # Airflow may have put its own in place since
            warnings.showwarning = self._showwarning


def _named_file_logger_factory(out: TextIO) -> Callable[..., Any]:
    """A structlog logger factory writing to ``out``; each logger keeps the name Airflow's
    processors print in brackets (``structlog.get_logger(__name__)``)."""
    import structlog

    class NamedFileLogger(structlog.WriteLogger):
        def __init__(self, name: str | None) -> None:
            super().__init__(out)
            self.name = name

    def factory(*args: Any) -> NamedFileLogger:
        return NamedFileLogger(str(args[0]) if args and args[0] is not None else None)

    return factory


def _bar(total: int, desc: str, unit: str) -> tqdm[Any]:
    """One stage's progress bar on stderr, as wide as the terminal up to 100 columns (80 without one)."""
    from tqdm import tqdm

    width = min(shutil.get_terminal_size().columns, 100)
    layout = "{desc:<25} {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]"
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, ncols=width, bar_format=layout)


@contextmanager
def services(state: Path, stack: ExitStack, logs: DemoLogs | None = None) -> Iterator[tuple[str, str]]:
    """The PostgreSQL DSN and FHIR base URL to use, starting embedded servers as needed."""
    dsn = os.environ.get("INTAKEFLOW_POSTGRES_DSN")
    if not dsn:
        from intakeflow.embedded.postgres import EmbeddedPostgres

        print("starting embedded PostgreSQL ...", flush=True)
        if logs is not None:
            logs.capture_pgserver()
        dsn = stack.enter_context(EmbeddedPostgres(state / "postgres", delete=True)).dsn()
    url = os.environ.get("INTAKEFLOW_FHIR_URL")
    if not url:
        from intakeflow.embedded.fhir_server import EmbeddedFhirServer

        print("starting embedded FHIR server ...", flush=True)
        # a fresh server each run, like the PostgreSQL above (delete=True): Communications left
        # by an earlier run in the same hour would be staged again and skew every count
        shutil.rmtree(state / "fhir", ignore_errors=True)
        log_path = logs.fhir_server if logs is not None else None
        url = stack.enter_context(EmbeddedFhirServer(state / "fhir", log_path=log_path)).base_url
    yield dsn, url


def airflow_env(state: Path, dsn: str, fhir_url: str) -> dict[str, str]:
    """Environment for in-process Airflow; set before ``airflow`` is first imported."""
    home = state / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_FOLDER),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        f"AIRFLOW_CONN_{POSTGRES_CONN_ID.upper()}": json.dumps({"conn_type": "postgres", "host": dsn}),
        f"AIRFLOW_CONN_{FHIR_CONN_ID.upper()}": json.dumps(
            {"conn_type": "fhir", "host": fhir_url, "extra": {"auth_type": "none"}}
        ),
    }


def post_communications(
    fhir_url: str, resources: list[dict[str, Any]], on_post: Callable[[], object] | None = None
) -> tuple[datetime, datetime]:
    """POST each Communication; returns the time span the server stamped them in."""
    from intakeflow.sources.fhir_client import FhirClient

    first = datetime.now(UTC)
    with FhirClient(fhir_url, timeout=30.0) as client:
        for resource in resources:
            client.request("POST", "Communication", json=resource)
            if on_post is not None:
                on_post()
    return first, datetime.now(UTC)


def hour_windows(first: datetime, last: datetime) -> list[datetime]:
    """Ends of the hourly data intervals covering ``[first, last]``."""
    end = first.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    ends = [end]
    while ends[-1] <= last:
        ends.append(ends[-1] + timedelta(hours=1))
    return ends


def run_dag(dag: Any, logical_date: datetime, conf: Mapping[str, Any], schema: str, dsn_store: Any) -> RunReport:
    # dag.test() sleeps through production retry delays; the demo should fail fast instead
    for task in dag.tasks:
        task.retries = 0
    dr = dag.test(logical_date=logical_date, run_conf=dict(conf))
    report = RunReport(dag.dag_id, logical_date.isoformat(), str(dr.state))
    for ti in dr.get_task_instances():
        if str(ti.state) in {"failed", "upstream_failed"}:
            report.failed_tasks.append(f"{ti.task_id}:{ti.state}")
        if ti.duration is not None:
            report.task_seconds[ti.task_id] = report.task_seconds.get(ti.task_id, 0.0) + float(ti.duration)
    row = dsn_store.run_stats(dr.run_id, dag.dag_id)
    report.stats = dict(row.get("counts") or {}) if row else {}
    return report


# -- the summary ---------------------------------------------------------------------------


def summarise(
    reports: list[RunReport],
    archive: ArchiveSummary,
    fhir_posted: int,
    status: Mapping[str, Any],
    *,
    wall_s: float | None = None,
    task_logs: str = "the Airflow log",
) -> str:
    """The closing table: counts, labels, codes and timings only (never message text).
    ``status`` is :func:`intakeflow.cli.store.store_status` of the demo's store."""
    staged: Counter[str] = Counter()
    at_source: Counter[str] = Counter()
    filtered: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    queues: Counter[str] = Counter()
    phi: Counter[str] = Counter()
    insurance: Counter[str] = Counter()
    review = 0
    for r in reports:
        source = "hl7" if r.dag_id.startswith("hl7") else "fhir"
        stage = r.stats.get("stage", {})
        staged[source] += int(stage.get("staged", 0))
        at_source[source] += int(stage.get("quarantined", 0))
        filtered[source] += int(stage.get("filtered", 0))
        process = r.stats.get("process", {})
        intents.update(process.get("intents", {}))
        queues.update(process.get("queues", {}))
        phi.update(process.get("phi", {}))
        insurance.update(process.get("insurance", {}))
        review += int(process.get("needs_review", 0))

    lines = ["", "== intakeflow demo summary ".ljust(TABLE_WIDTH - 1, "=")]
    sources = [("HL7 v2 archive", "hl7", archive.messages), ("FHIR Communications", "fhir", fhir_posted)]
    table = [f"{'':<20}{'in':>8}{'staged':>9}{'quarantined':>13}{'filtered':>10}"]
    table += [f"{name:<20}{n:>8,}{staged[key]:>9,}{at_source[key]:>13,}{filtered[key]:>10,}" for name, key, n in sources]
    table.append(f"{'all':<20}{archive.messages + fhir_posted:>8,}{sum(staged.values()):>9,}{sum(at_source.values()):>13,}"
                 f"{sum(filtered.values()):>10,}")
    lines += _rows("messages in", table)
    lines += _rows("  HL7 v2 by type", _cells(archive.by_type, sort=True))
    by_status = (f"{key} {int(status.get(key, 0)):,}" for key in ("staged", "processed", "delivered", "failed"))
    lines += _rows("store status", ["   ".join(by_status)])
    lines += _rows("inboxes (queues)", _cells(queues))
    lines += _rows("  needs review", [f"{review:,}"])
    lines += _rows("intents", _cells(intents))
    lines += _rows("PHI spans", [f"{sum(phi.values()):,} in {len(phi)} types", *_cells(phi)] if phi else [])
    lines += _rows("insurance fields", [f"{sum(insurance.values()):,} in {len(insurance)} types", *_cells(insurance)]
                   if insurance else [])
    by_code: Mapping[str, int] = status.get("quarantine_by_code") or {}
    lines += _rows("quarantined by code", [f"{code:<6}{n:>6,}  {title_of(code)}".rstrip() for code, n in sorted(by_code.items())])
    lines += _rows("DAG runs", [_run_row(r) for r in reports])
    failed = [f"{r.dag_id} {_window(r.window)}: {', '.join(r.failed_tasks)}" for r in reports if r.failed_tasks]
    if failed:
        lines += _rows("FAILED tasks", [*failed, f"(task logs: {task_logs})"])
    if wall_s is not None:
        lines += _rows("wall time", [f"{wall_s:.1f} s"])
    return "\n".join(lines)


def _rows(label: str, texts: list[str]) -> list[str]:
    """A table row: the label, then its lines in the second column."""
    texts = texts or ["none"]
    return [f"{label if i == 0 else '':<{LABEL_WIDTH}}{text}".rstrip() for i, text in enumerate(texts)]


def _cells(counter: Mapping[str, int], *, sort: bool = False) -> list[str]:
    """``name count`` cells, most common first (by name with ``sort``), packed into lines."""
    items = sorted(counter.items()) if sort else sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if not items:
        return []
    name_w = max(len(k) for k, _ in items)
    count_w = max(len(f"{v:,}") for _, v in items)
    cells = [f"{k:<{name_w}} {v:>{count_w},}" for k, v in items]
    per_line = max(1, (TABLE_WIDTH - 1 - LABEL_WIDTH + 3) // (name_w + 1 + count_w + 3))
    return ["   ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]


def _window(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _run_row(r: RunReport) -> str:
    seconds = sum(r.task_seconds.values())
    return f"{r.dag_id:<26}{_window(r.window):<17}{r.state:<8}{seconds:>6.1f} s"


def how_to_look(
    dsn: str,
    schema: str,
    state: Path,
    serving: bool = False,
    logs: DemoLogs | None = None,
    model_path: str | None = None,
) -> str:
    embedded = "INTAKEFLOW_POSTGRES_DSN" not in os.environ
    # an external DSN may hold a password: point at the variable instead of printing it
    target = dsn if embedded else "$INTAKEFLOW_POSTGRES_DSN"
    lines = ["", "where to look next"]
    if logs is not None:
        files = [f"{_show(path):<40} {what}" for path, what in logs.written()]
        if logs.verbose:
            files.append("(Airflow and pgserver: on the console above, --verbose)")
        else:
            files.append("(`make demo DEMO_ARGS=--verbose` prints the Airflow and pgserver records here)")
        lines += _rows("  log files", files)
    model = f" --model {shlex.quote(model_path)}" if model_path else ""
    lines += _rows("  status CLI", [f'{_cli()} status --dsn "{target}" --schema {schema}{model}'])
    lines += _rows("  SQL", [
        f'psql "{target}" -c "SELECT status, count(*) FROM {schema}.messages GROUP BY 1"',
        f'psql "{target}" -c "SELECT queue, count(*) FROM {schema}.intents GROUP BY 1"',
        f'psql "{target}" -c "SELECT reason_code, count(*) FROM {schema}.quarantine GROUP BY 1"',
    ])
    lines += _rows("  Airflow home", [f"{_show(state / 'airflow')} (SQLite metadata: DAG runs, task instances, XComs)"])
    if embedded and not serving:
        lines.append("  (the embedded servers stop when the demo ends: run `make demo DEMO_ARGS=--serve` to keep")
        lines.append("   them up until Ctrl-C, or set INTAKEFLOW_POSTGRES_DSN and INTAKEFLOW_FHIR_URL)")
    return "\n".join(lines)


def _show(path: Path) -> str:
    """``path`` relative to the working directory when under it, else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _cli() -> str:
    """The ``intakeflow`` command beside this Python (``.venv/bin/intakeflow`` for make)."""
    script = Path(sys.executable).parent / "intakeflow"
    return _show(script) if script.exists() else "intakeflow"


# -- the run -------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="intakeflow-demo", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--messages", type=int, default=600, help="synthetic messages in all (>= 500 for make demo)")
    p.add_argument("--fhir-share", type=float, default=0.4, help="share of messages sent as FHIR Communications")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--state-dir", type=Path, default=Path(".state/demo"))
    p.add_argument("--model-path", default=None, help="model artifact folder (default: the bundled model)")
    p.add_argument("--serve", action="store_true", help="keep the embedded servers up until Ctrl-C, to look at the results")
    p.add_argument("--verbose", action="store_true",
                   help="Airflow's and pgserver's log records on the console too (default: files under <state-dir>/logs)")
    return p.parse_args(argv)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the ExitStack, which stops the embedded servers


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = parse_args(argv)
    state: Path = args.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    texts = demo_texts(args.messages, args.seed)
    n_fhir = int(len(texts) * args.fhir_share)
    fhir_texts, hl7_texts = texts[:n_fhir], texts[n_fhir:]
    schema = f"demo_{datetime.now(UTC):%Y%m%d%H%M%S}"
    logs = DemoLogs(state / "logs", verbose=args.verbose)
    with ExitStack() as stack:
        stack.enter_context(logs)  # first in, last out: the servers log their stop into it
        dsn, fhir_url = stack.enter_context(services(state, stack, logs))
        reports, archive, status = run_demo(
            state, dsn, fhir_url, schema, hl7_texts, fhir_texts, args.seed, args.model_path, logs
        )
        task_logs = "above" if args.verbose else _show(logs.airflow)
        print(summarise(reports, archive, len(fhir_texts), status, wall_s=time.perf_counter() - t0, task_logs=task_logs))
        print(how_to_look(dsn, schema, state, args.serve, logs, args.model_path), flush=True)
        if args.serve:
            _serve_until_interrupted(fhir_url)
    return 0 if all(r.state == "success" for r in reports) else 1


def run_demo(
    state: Path,
    dsn: str,
    fhir_url: str,
    schema: str,
    hl7_texts: list[DemoText],
    fhir_texts: list[DemoText],
    seed: int,
    model_path: str | None = None,
    logs: DemoLogs | None = None,
) -> tuple[list[RunReport], ArchiveSummary, dict[str, Any]]:
    """Write and post the inputs, run the DAGs; the reports, what was written and the
    store's status (:func:`intakeflow.cli.store.store_status`)."""
    archive_root = state / "archive"
    first_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    with _bar(len(hl7_texts), "HL7 v2 archive", "msg") as bar:
        archive = write_hl7_archive(
            archive_root, hl7_texts, first_day, days=2, files_per_day=6, seed=seed, on_file=bar.update
        )
    resources = communications(fhir_texts, seed=seed)
    with _bar(len(resources), "FHIR Communications", "msg") as bar:
        first, last = post_communications(fhir_url, resources, on_post=bar.update)

    with _bar(3, "Airflow set-up", "step") as bar:
        os.environ.update(airflow_env(state, dsn, fhir_url))
        db_file = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
        db_file.unlink(missing_ok=True)  # fresh metadata each demo run
        import airflow  # noqa: F401 -- the first import configures Airflow's logging (to stdout)

        if logs is not None:
            logs.capture_airflow()
        from airflow.dag_processing.dagbag import DagBag
        from airflow.utils.db import initdb

        from intakeflow.store import Store

        bar.update()
        initdb()
        bar.update()
        bag = DagBag(str(DAGS_FOLDER))
        if bag.import_errors:
            raise RuntimeError(f"example DAGs failed to import: {sorted(bag.import_errors)}")
        bar.update()
    store = Store(dsn, schema=schema, pipeline_version="any")
    common = {"postgres_conn_id": POSTGRES_CONN_ID, "store_schema": schema, "model_path": model_path}
    runs: dict[str, list[tuple[datetime, dict[str, Any]]]] = {
        HL7_DAG: [
            (datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1), {**common, "archive_root": str(archive_root)})
            for day in archive.days
        ],
        FHIR_DAG: [(end, {**common, "fhir_conn_id": FHIR_CONN_ID}) for end in hour_windows(first, last)],
    }
    reports = []
    for dag_id, windows in runs.items():
        with _bar(len(windows), dag_id, "run") as bar:
            for end, conf in windows:
                reports.append(run_dag(bag.dags[dag_id], end, conf, schema, store))
                bar.update()
    from intakeflow.cli.store import store_status
    from intakeflow.provider.operators._common import pipeline_version

    status = store_status(Store(dsn, schema=schema, pipeline_version=pipeline_version(model_path)))
    return reports, archive, status


def _serve_until_interrupted(fhir_url: str) -> None:
    # Airflow's task runner installs its own handlers while the DAGs run: take them back
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    print(f"\nservers are up (FHIR: {fhir_url}); press Ctrl-C to stop them", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("stopping ...", flush=True)


if __name__ == "__main__":
    sys.exit(main())
