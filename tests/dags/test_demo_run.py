from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from intakeflow.errors import title_of
from tools import demo
from tools.demo_data import ArchiveSummary, DemoText, demo_texts

REPO = Path(__file__).resolve().parents[2]
#: a log record as Airflow, structlog, logging or warnings print one (a line, or a tqdm \r segment)
RAW_RECORD = re.compile(
    r"\[\s*(debug|info|warning|error|critical)\s*\]"  # structlog's console renderer: [info     ]
    r"|\{[\w.]+\.py:\d+\} [A-Z]+ - "  # Airflow 2's format: [timestamp] {module.py:NN} INFO -
    r"|^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"  # anything that starts with a timestamp
    r"|^(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b"  # logging's last-resort and basicConfig formats
    r"|\w+Warning: "  # a Python warning
)


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
    assert Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) == Path(__file__).resolve().parents[2] / "dags"


def test_demo_runs_both_dags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_dsn: str, fhir_server: str, store_schema: str,
    fake_model: str, fake_pipeline: Any,
) -> None:
    # run_demo points Airflow at its own state folder through os.environ: restore it afterwards
    for key in demo.airflow_env(tmp_path, pg_dsn, fhir_server):
        monkeypatch.setenv(key, os.environ.get(key, ""))
    hl7 = [DemoText(f"h{i}", f"question about my bill, chart 123456{i % 10}") for i in range(24)]
    fhir = [DemoText(f"f{i}", f"can I book a visit {i}", "portal") for i in range(6)]
    reports, archive, status = demo.run_demo(tmp_path, pg_dsn, fhir_server, store_schema, hl7, fhir, 3, fake_model)
    assert [r.state for r in reports] and all(r.state == "success" for r in reports)
    assert {r.dag_id for r in reports} == {"hl7_archive_intake", "fhir_communication_intake"}
    # 24 HL7 messages (every one with text at this size) and 6 Communications
    assert archive.messages == 24 and status["processed"] + status["delivered"] == 24 + 6 - archive.without_text
    text = demo.summarise(reports, archive, len(fhir), status)
    assert "billing_inquiry" in text and "front_desk" in text and "MRN" in text
    assert "question about my bill" not in text  # counts only, never message text
    with psycopg.connect(pg_dsn) as conn:
        assert conn.execute(f'SELECT count(*) FROM "{store_schema}".run_stats').fetchone() == (len(reports),)


def test_summary_table_shows_counts_titles_and_runs() -> None:
    archive = ArchiveSummary(files=2, messages=5, without_text=1, by_type=Counter({"ORU^R01": 3, "ADT^A08": 2}))
    stats = {"stage": {"staged": 4, "quarantined": 1},
             "process": {"intents": {"billing_inquiry": 4}, "queues": {"billing": 4}, "needs_review": 1,
                         "phi": {"NAME": 7, "SUBSCRIBER_NAME": 1, "MRN": 2}, "insurance": {"CARRIER": 3}}}
    reports = [
        demo.RunReport("hl7_archive_intake", "2024-05-02T00:00:00+00:00", "success", {"process": 2.5}, [], stats),
        demo.RunReport("fhir_communication_intake", "2024-05-02T11:00:00+00:00", "failed", {}, ["process:failed"], {}),
    ]
    status = {"staged": 0, "processed": 1, "delivered": 3, "failed": 0, "quarantine_by_code": {"E022": 1}}
    text = demo.summarise(reports, archive, 0, status, wall_s=12.0, task_logs="logs/airflow.log")
    lines = text.splitlines()
    assert "== intakeflow demo summary" in text and all(len(line) <= 80 for line in lines)
    row = next(line for line in lines if line.startswith("quarantined by code"))
    assert "E022" in row and title_of("E022") in row
    assert any(line.startswith("PHI spans") and "10 in 3 types" in line for line in lines)
    assert re.search(r"HL7 v2 archive\s+5\s+4\s+1\s+0$", text, re.M)  # in, staged, quarantined, filtered at the source
    assert "billing 4" in text and "delivered 3" in text
    assert re.search(r"fhir_communication_intake\s+2024-05-02 11:00\s+failed", text)
    assert "process:failed" in text and "(task logs: logs/airflow.log)" in text


def test_demo_logs_send_airflow_and_pgserver_records_to_files(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    import airflow  # noqa: F401 -- its import configures logging to stdout, as in the demo
    import structlog

    factory = structlog.get_config()["logger_factory"]
    logs = demo.DemoLogs(tmp_path / "logs")
    with logs:
        logs.capture_pgserver()
        logs.capture_airflow()
        structlog.get_logger("airflow.demo_test").info("structlog record")
        logging.getLogger("airflow.demo_test").warning("logging record")
        logging.getLogger("pgserver").info("pgserver record")
    out, err = capfd.readouterr()
    assert "record" not in out + err
    assert [path.name for path, _ in logs.written()] == ["airflow.log", "pgserver.log"]
    airflow_log = logs.airflow.read_text()
    assert "structlog record" in airflow_log and "[airflow.demo_test]" in airflow_log and "logging record" in airflow_log
    assert "pgserver record" in logs.pgserver.read_text()
    # everything is put back
    assert structlog.get_config()["logger_factory"] is factory
    assert logging.getLogger("pgserver").propagate and not logging.getLogger("pgserver").handlers


def test_demo_logs_verbose_leaves_logging_alone(tmp_path: Path) -> None:
    import airflow  # noqa: F401
    import structlog

    factory = structlog.get_config()["logger_factory"]
    streams = [getattr(h, "stream", None) for h in logging.getLogger().handlers]
    with demo.DemoLogs(tmp_path / "logs", verbose=True) as logs:
        logs.capture_pgserver()
        logs.capture_airflow()
        assert structlog.get_config()["logger_factory"] is factory
        assert [getattr(h, "stream", None) for h in logging.getLogger().handlers] == streams
    assert logs.written() == []


@pytest.mark.slow
def test_make_demo_prints_bars_and_a_summary_only(tmp_path: Path) -> None:
    """The console of ``make demo`` (embedded servers, real model, 100 messages): progress bars
    and the summary table in at most 80 lines; the log records in files it names; no text."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AIRFLOW") and k not in ("INTAKEFLOW_POSTGRES_DSN", "INTAKEFLOW_FHIR_URL")}
    state = (tmp_path / "state").resolve()
    proc = subprocess.run(
        [sys.executable, "-m", "tools.demo", "--messages", "100", "--state-dir", str(state)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=400, check=False,
    )
    out = proc.stdout.decode("utf-8", "replace")  # bytes: text mode would turn tqdm's \r into line ends
    assert proc.returncode == 0, out[-4000:]
    assert out.count("\n") <= 80, out  # as `make demo 2>&1 | wc -l` counts
    segments = re.split(r"[\r\n]", out)  # lines, and the states of each progress bar
    for label in ("messages in", "inboxes (queues)", "PHI spans", "insurance fields", "quarantined by code",
                  "DAG runs", "where to look next"):
        assert any(line.startswith(label) or line.startswith(f"  {label}") for line in out.splitlines()), label
    assert "== intakeflow demo summary" in out
    assert re.search(rf"E022\s+1\s+{re.escape(title_of('E022'))}", out)  # 60 HL7 messages: the 60th has no text
    for stage in ("HL7 v2 archive", "FHIR Communications", "Airflow set-up", "hl7_archive_intake",
                  "fhir_communication_intake"):
        assert any(re.match(rf"{stage}\s+100%", segment) for segment in segments), stage
    assert " status --dsn " in out
    records = [segment for segment in segments if RAW_RECORD.search(segment)]
    assert not records, records[:5]
    for name in ("airflow.log", "pgserver.log", "fhir-server.log"):
        path = state / "logs" / name
        assert path.is_file() and str(path) in out, name
    assert "[DAG TEST]" in (state / "logs" / "airflow.log").read_text()
    assert "pg_ctl" in (state / "logs" / "pgserver.log").read_text()
    texts = [t.text[:30] for t in demo_texts(100, 7) if len(t.text) >= 30]
    assert texts and not [t for t in texts if t in out]  # counts only, never message text
