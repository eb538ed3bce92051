"""``make demo``: the example DAGs end to end on a synthetic archive, with real Airflow.

Starts an embedded PostgreSQL (unless ``INTAKEFLOW_POSTGRES_DSN`` is set) and an embedded
FHIR server (unless ``INTAKEFLOW_FHIR_URL`` is set), writes a synthetic HL7 v2 archive and
POSTs synthetic Communications, then runs ``hl7_archive_intake`` for each archive day and
``fhir_communication_intake`` for each hour the Communications landed in, in-process with
``dag.test()`` (Airflow metadata in SQLite under the state folder, connections from
``AIRFLOW_CONN_*``). Prints counts only; every process it started is stopped on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from intakeflow.demo_data import ArchiveSummary, DemoText, communications, demo_texts, write_hl7_archive

POSTGRES_CONN_ID = "intakeflow_postgres"
FHIR_CONN_ID = "intakeflow_fhir"
DAGS_FOLDER = Path(__file__).resolve().parent / "example_dags"


@dataclass
class RunReport:
    dag_id: str
    window: str
    state: str
    task_seconds: dict[str, float] = field(default_factory=dict)
    failed_tasks: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)


@contextmanager
def services(state: Path, stack: ExitStack) -> Iterator[tuple[str, str]]:
    """The PostgreSQL DSN and FHIR base URL to use, starting embedded servers as needed."""
    dsn = os.environ.get("INTAKEFLOW_POSTGRES_DSN")
    if not dsn:
        from intakeflow.embedded.postgres import EmbeddedPostgres

        print("starting embedded PostgreSQL ...", flush=True)
        dsn = stack.enter_context(EmbeddedPostgres(state / "postgres", delete=True)).dsn()
    url = os.environ.get("INTAKEFLOW_FHIR_URL")
    if not url:
        from intakeflow.embedded.fhir_server import EmbeddedFhirServer

        print("starting embedded FHIR server ...", flush=True)
        url = stack.enter_context(EmbeddedFhirServer(state / "fhir")).base_url
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


def post_communications(fhir_url: str, resources: list[dict[str, Any]]) -> tuple[datetime, datetime]:
    """POST each Communication; returns the time span the server stamped them in."""
    from intakeflow.sources.fhir_client import FhirClient

    first = datetime.now(UTC)
    with FhirClient(fhir_url, timeout=30.0) as client:
        for resource in resources:
            client.request("POST", "Communication", json=resource)
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


def summarise(reports: list[RunReport], archive: ArchiveSummary, fhir_posted: int, store_counts: dict[str, int]) -> str:
    intents: Counter[str] = Counter()
    phi: Counter[str] = Counter()
    insurance: Counter[str] = Counter()
    staged: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    for r in reports:
        source = "hl7" if r.dag_id.startswith("hl7") else "fhir"
        stage = r.stats.get("stage", {})
        staged[f"{source}.staged"] += int(stage.get("staged", 0))
        staged[f"{source}.quarantined_at_source"] += int(stage.get("quarantined", 0))
        process = r.stats.get("process", {})
        intents.update(process.get("intents", {}))
        phi.update(process.get("phi", {}))
        insurance.update(process.get("insurance", {}))
        for task_id, sec in r.task_seconds.items():
            key = f"{r.dag_id}.{task_id}"
            seconds[key] = seconds.get(key, 0.0) + sec
    lines = [
        "",
        "== intakeflow demo summary ==",
        f"inputs: {archive.messages} HL7 v2 messages in {archive.files} files "
        f"({', '.join(f'{k} {v}' for k, v in sorted(archive.by_type.items()))}); {fhir_posted} FHIR Communications",
        "runs: " + ", ".join(f"{r.dag_id}@{r.window} {r.state}" for r in reports),
        "messages by source: " + _fmt(staged),
        "store status: " + _fmt(Counter({k: v for k, v in store_counts.items() if v})),
        "intents: " + _fmt(intents),
        "PHI spans by type: " + _fmt(phi),
        "insurance fields: " + _fmt(insurance),
        "seconds per task: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(seconds.items())),
    ]
    failed = [f"{r.dag_id}@{r.window}: {', '.join(r.failed_tasks)}" for r in reports if r.failed_tasks]
    if failed:
        lines.append("FAILED tasks (task logs above and under the Airflow state folder): " + "; ".join(failed))
    return "\n".join(lines)


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counter.most_common()) or "none"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="intakeflow-demo", description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--messages", type=int, default=600, help="synthetic messages in all (>= 500 for make demo)")
    p.add_argument("--fhir-share", type=float, default=0.4, help="share of messages sent as FHIR Communications")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--state-dir", type=Path, default=Path(".state/demo"))
    p.add_argument("--model-path", default=None, help="model artifact folder (default: the bundled model)")
    p.add_argument("--serve", action="store_true", help="keep the embedded servers up until Ctrl-C, to look at the results")
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
    with ExitStack() as stack, services(state, stack) as (dsn, fhir_url):
        reports, archive, store_counts = run_demo(
            state, dsn, fhir_url, schema, hl7_texts, fhir_texts, args.seed, args.model_path
        )
        print(summarise(reports, archive, len(fhir_texts), store_counts))
        print(f"total wall time {time.perf_counter() - t0:.1f}s")
        print(how_to_look(dsn, schema, state, args.serve))
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
) -> tuple[list[RunReport], ArchiveSummary, dict[str, int]]:
    archive_root = state / "archive"
    first_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=2)
    archive = write_hl7_archive(archive_root, hl7_texts, first_day, days=2, files_per_day=6, seed=seed)
    print(f"wrote {archive.messages} HL7 messages in {archive.files} files under {archive_root}", flush=True)
    first, last = post_communications(fhir_url, communications(fhir_texts, seed=seed))
    print(f"posted {len(fhir_texts)} Communications to {fhir_url}", flush=True)

    os.environ.update(airflow_env(state, dsn, fhir_url))
    db_file = Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"
    db_file.unlink(missing_ok=True)  # fresh metadata each demo run
    from airflow.dag_processing.dagbag import DagBag
    from airflow.utils.db import initdb

    from intakeflow.sinks import Store

    initdb()
    bag = DagBag(str(DAGS_FOLDER))
    if bag.import_errors:
        raise RuntimeError(f"example DAGs failed to import: {sorted(bag.import_errors)}")
    store = Store(dsn, schema=schema, pipeline_version="any")
    common = {"postgres_conn_id": POSTGRES_CONN_ID, "store_schema": schema, "model_path": model_path}
    reports = []
    for day in archive.days:
        end = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
        conf = {**common, "archive_root": str(archive_root)}
        reports.append(run_dag(bag.dags["hl7_archive_intake"], end, conf, schema, store))
    for end in hour_windows(first, last):
        conf = {**common, "fhir_conn_id": FHIR_CONN_ID}
        reports.append(run_dag(bag.dags["fhir_communication_intake"], end, conf, schema, store))
    from intakeflow.operators.operators._common import pipeline_version

    counts = Store(dsn, schema=schema, pipeline_version=pipeline_version(model_path)).counts()
    return reports, archive, counts


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


def how_to_look(dsn: str, schema: str, state: Path, serving: bool = False) -> str:
    embedded = "INTAKEFLOW_POSTGRES_DSN" not in os.environ
    # an external DSN may hold a password: point at the variable instead of printing it
    target = dsn if embedded else "$INTAKEFLOW_POSTGRES_DSN"
    lines = [
        "",
        "how to look at the results:",
        f'  psql "{target}" -c "SELECT status, count(*) FROM {schema}.messages GROUP BY 1"',
        f'  psql "{target}" -c "SELECT intent, count(*) FROM {schema}.intents GROUP BY 1"',
        f'  psql "{target}" -c "SELECT code, count(*) FROM {schema}.quarantine GROUP BY 1"',
        f"  Airflow metadata (task logs, XCom counts): {state / 'airflow'}",
    ]
    if embedded and not serving:
        lines.append("  (the embedded servers stop when the demo ends: run `make demo DEMO_ARGS=--serve` to keep")
        lines.append("   them up until Ctrl-C, or set INTAKEFLOW_POSTGRES_DSN and INTAKEFLOW_FHIR_URL)")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
