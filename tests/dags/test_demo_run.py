from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from intakeflow import demo
from intakeflow.demo_data import DemoText


def test_hour_windows_cover_the_posting_span() -> None:
    first = datetime(2024, 5, 1, 10, 59, 30, tzinfo=UTC)
    assert demo.hour_windows(first, datetime(2024, 5, 1, 10, 59, 50, tzinfo=UTC)) == [
        datetime(2024, 5, 1, 11, tzinfo=UTC)
    ]
    assert demo.hour_windows(first, datetime(2024, 5, 1, 11, 0, 5, tzinfo=UTC)) == [
        datetime(2024, 5, 1, 11, tzinfo=UTC), datetime(2024, 5, 1, 12, tzinfo=UTC)
    ]


def test_airflow_env_defines_both_connections(tmp_path: Path) -> None:
    env = demo.airflow_env(tmp_path, "postgresql://u@h/d", "http://127.0.0.1:1/fhir")
    assert '"conn_type": "postgres"' in env["AIRFLOW_CONN_INTAKEFLOW_POSTGRES"]
    assert '"conn_type": "fhir"' in env["AIRFLOW_CONN_INTAKEFLOW_FHIR"]
    assert env["AIRFLOW__CORE__DAGS_FOLDER"].endswith("example_dags")


def test_demo_runs_both_dags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_dsn: str, fhir_server: str, store_schema: str,
    fake_model: str, fake_pipeline: Any,
) -> None:
    # run_demo points Airflow at its own state folder through os.environ: restore it afterwards
    for key in demo.airflow_env(tmp_path, pg_dsn, fhir_server):
        monkeypatch.setenv(key, os.environ.get(key, ""))
    hl7 = [DemoText(f"h{i}", f"question about my bill, chart 123456{i % 10}") for i in range(24)]
    fhir = [DemoText(f"f{i}", f"can I book a visit {i}", "portal") for i in range(6)]
    reports, archive, counts = demo.run_demo(tmp_path, pg_dsn, fhir_server, store_schema, hl7, fhir, 3, fake_model)
    assert [r.state for r in reports] and all(r.state == "success" for r in reports)
    assert {r.dag_id for r in reports} == {"hl7_archive_intake", "fhir_communication_intake"}
    # 24 HL7 messages (every one with text at this size) and 6 Communications
    assert archive.messages == 24 and counts["processed"] + counts["delivered"] == 24 + 6 - archive.without_text
    text = demo.summarise(reports, archive, len(fhir), counts)
    assert "billing_inquiry" in text and "MRN" in text
    assert "question about my bill" not in text  # counts only, never message text
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute(f'SELECT count(*) FROM "{store_schema}".run_stats').fetchone() == (len(reports),)
