"""Helpers of the Airflow integration tests (fixtures are in conftest.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from intakeflow.sources import HL7_SOURCE
from tools.demo_data import ArchiveSummary
from tools.devstack import AirflowStack

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "hl7_archive_intake"
FIRST_DAY = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = ("2024-03-01", "2024-03-02", "2024-03-03")
STORE = "intakeflow"
#: a second store offered by the monitoring page and never written: its first-run guide
EMPTY_STORE = "intakeflow_unused"
FHIR_TYPES = ("Communication", "Task", "Coverage", "Provenance")
#: the live feed's store (``test_live_feed``), apart from the archive's so the two tests' counts
#: stay their own; its runs linger this long, so a later round starts a run again
LIVE_STORE = "intakeflow_live"
LIVE_LINGER_S = 15


@dataclass(frozen=True)
class Archive:
    root: Path
    summary: ArchiveSummary


def stack_env(db_name: str, fhir_url: str) -> dict[str, str]:
    return {
        "AIRFLOW_CONN_INTAKEFLOW_POSTGRES": json.dumps(
            {"conn_type": "postgres", "host": f"postgresql://postgres@127.0.0.1:5432/{db_name}"}),
        "AIRFLOW_CONN_INTAKEFLOW_FHIR": json.dumps(
            {"conn_type": "fhir", "host": fhir_url, "extra": {"auth_type": "none"}}),
        "AIRFLOW__INTAKEFLOW__MONITOR_SCHEMAS": f"{STORE},{EMPTY_STORE}",
        # read by dags/hl7_live_intake.py when the DAG processor parses it
        "INTAKEFLOW_LIVE_SCHEMA": LIVE_STORE,
        "INTAKEFLOW_LIVE_LINGER_S": str(LIVE_LINGER_S),
    }


def make_stack(tmp: Path, kind: str, fhir_url: str, executor: str, **kwargs: Any) -> AirflowStack:
    db_name = f"intakeflow_it_{kind}_{uuid.uuid4().hex[:6]}"
    return AirflowStack(home=tmp, db_name=db_name, dags_folder=REPO / "dags", executor=executor,
                        env=stack_env(db_name, fhir_url), **kwargs)


def store_dsn(stack: AirflowStack) -> str:
    return f"{stack.pg_url}/{stack.db_name}"


def run_conf(archive: Archive) -> dict[str, Any]:
    return {"archive_root": str(archive.root), "files_per_shard": 1, "write_back": True}


def backfill(stack: AirflowStack, archive: Archive, *extra: str) -> list[dict[str, Any]]:
    """``airflow backfill create`` over DAYS; its runs once they finished and it closed."""
    return stack.backfill(DAG_ID, DAYS[0], DAYS[-1], run_conf(archive), *extra, max_active_runs=3)


@dataclass(frozen=True)
class StoreCounts:
    messages: dict[str, int]
    quarantine: dict[str, int]
    intents: int
    phi_spans: int
    insurance_rows: int
    fhir_writes: dict[str, int]

    @classmethod
    def read(cls, dsn: str) -> StoreCounts:
        with psycopg.connect(dsn) as conn:
            def grouped(query: str) -> dict[str, int]:
                return {str(k): int(n) for k, n in conn.execute(query).fetchall()}

            def one(query: str) -> int:
                row = conn.execute(query).fetchone()
                return int(row[0]) if row else 0

            m = f"{STORE}.messages m"
            own = f"m.source = '{HL7_SOURCE}'"  # the archive's rows: other tests add live ones
            return cls(
                messages=grouped(f"SELECT status, count(*) FROM {m} WHERE {own} GROUP BY 1"),
                quarantine=grouped(
                    f"SELECT reason_code, count(*) FROM {STORE}.quarantine WHERE source = '{HL7_SOURCE}' GROUP BY 1"),
                intents=one(f"SELECT count(*) FROM {STORE}.intents i JOIN {m} ON m.id = i.message_id WHERE {own}"),
                phi_spans=one(f"SELECT count(*) FROM {STORE}.phi_spans p JOIN {m} ON m.id = p.message_id WHERE {own}"),
                insurance_rows=one(
                    f"SELECT count(*) FROM {STORE}.insurance_fields f JOIN {m} ON m.id = f.message_id WHERE {own}"),
                # per type, not per created/unchanged: parallel write-back tasks may both send a
                # bundle, and which one the server saw first varies (never a duplicate resource)
                fhir_writes=grouped(f"SELECT w.resource_type || ':' || (w.status <> 'failed'), count(*) "
                                    f"FROM {STORE}.fhir_writes w JOIN {m} ON m.id = w.message_id WHERE {own} GROUP BY 1"),
            )


def fhir_counts(base: str) -> dict[str, int]:
    out = {}
    for rtype in FHIR_TYPES:
        bundle = httpx.get(f"{base}/{rtype}", params={"_summary": "count"}, timeout=30).raise_for_status().json()
        out[rtype] = int(bundle["total"])
    return out


@dataclass(frozen=True)
class Backfilled:
    runs: list[dict[str, Any]]
    counts: StoreCounts
    fhir: dict[str, int]
