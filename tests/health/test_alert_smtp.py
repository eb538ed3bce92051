"""Alerts reach a local SMTP sink (aiosmtpd) through Airflow's ``SmtpNotifier``, once per
change, and carry no PHI: the store holds gold-labelled corpus messages (names, phone
numbers, dates, identifiers in the text, MRNs in PID-3), parsed from HL7 v2 as the listener
parses them, and every e-mail is searched for every gold PHI string and patient id.

Two ways in: ``WatchdogOperator.execute`` (settings given to the task), and the
``intakeflow_watchdog`` DAG run with real Airflow (``dag.test()``), its settings read from
the Variable ``intakeflow_alerts`` in its environment form."""

from __future__ import annotations

import dataclasses
import json
import random
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import psycopg
import pytest
from health_support import SmtpSink, failed_writeback, heartbeat, process, quarantine_at_source
from psycopg import sql

from intakeflow.errors import IntakeflowError
from intakeflow.results import InboundMessage
from intakeflow.sources.hl7_parse import parse_hl7
from intakeflow.store import Store
from tools.demo_data import hl7_message

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "models" / "corpus" / "data" / "w02.jsonl"
#: as the PHI leak scan (tests/dags/test_phi_leak_scan.py): shorter gold strings and common
#: words occur in any text (ids, timestamps, "Monday") without a link to a patient
MIN_LEN = 4
COMMON = frozenset("today tomorrow yesterday tonight morning afternoon evening night week weekend month year next last "
                   "this monday tuesday wednesday thursday friday saturday sunday january february march april may june "
                   "july august september october november december home work the of and".split())


@dataclasses.dataclass(frozen=True)
class PhiStore:
    store: Store
    secrets: list[str]  # every PHI string of the staged messages, and their patient ids


def _gold(n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with_phi = [r for r in rows if any(len(p["text"]) >= MIN_LEN for p in r["phi"])]
    return random.Random(13).sample(with_phi, n)


def _searchable(text: str) -> bool:
    words = re.findall(r"\w+", text.lower())
    return len(text.strip()) >= MIN_LEN and bool(words) and not all(w in COMMON for w in words)


@pytest.fixture
def phi_store(store: Store) -> PhiStore:
    """Every alert condition at once, on PHI-bearing messages: 30 corpus messages queued on
    ``mllp`` for 20 minutes with nothing running (E120), 12 inputs rejected at staging (E121),
    the listener's heartbeat 10 minutes old (E123), and 2 FHIR write-backs that failed (E124)."""
    gold = _gold(36)
    secrets: list[str] = []
    items = []
    for i, record in enumerate(gold):
        patient = f"{7300000 + i * 7919}"
        raw = hl7_message("ORU^R01", control_id=f"PHI{i:04d}", when=datetime(2026, 3, 4, tzinfo=UTC), patient_id=patient,
                          text=record["text"])
        item = parse_hl7(raw, f"mllp#{i}")
        assert isinstance(item, InboundMessage) and item.patient_ref
        items.append(dataclasses.replace(item, source="mllp" if i < 30 else "fhir"))
        secrets += [p["text"].strip() for p in record["phi"] if _searchable(p["text"])] + [patient, item.patient_ref]
    store.stage(items, "test-run")
    with psycopg.connect(store.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {}.messages SET created_at = now() - interval '20 minutes' WHERE source = 'mllp'")
                     .format(sql.Identifier(store.schema)))
    quarantine_at_source(store, "mllp", 12)
    heartbeat(store, "mllp", age_s=600)
    written = process(store, "fhir", 6, age_s=60)
    failed_writeback(store, written[:2], code="E034")
    return PhiStore(store, sorted(set(secrets)))


def _settings(**extra: Any) -> dict[str, Any]:
    return {"resolve_after_s": 0, "page_url": "https://airflow.example.org/intakeflow/",
            "notifiers": [{"type": "smtp", "to": ["oncall@example.org"], "from_email": "intakeflow@example.org",
                           "smtp_conn_id": "smtp_sink"}], **extra}


@pytest.fixture
def smtp_conn(smtp_sink: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> SmtpSink:
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": smtp_sink.port,
            "extra": {"disable_tls": True, "disable_ssl": True, "timeout": 10, "retry_limit": 0}}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_SINK", json.dumps(conn))
    return smtp_sink


def _leaks(sink: SmtpSink, secrets: list[str]) -> list[str]:
    """The PHI strings found in any e-mail (subject, headers, text), as whole words."""
    mail = "\n".join(sink.bodies() + [str(m) for m in sink.received])
    return [s for s in secrets if re.search(rf"(?<![^\W_]){re.escape(s)}(?![^\W_])", mail, re.IGNORECASE)]


def _execute(pg_conn_id: str, store: Store, settings: dict[str, Any]) -> dict[str, Any]:
    from intakeflow.provider.operators.watchdog import WatchdogOperator

    op = WatchdogOperator(task_id="check", postgres_conn_id=pg_conn_id, store_schema=store.schema,
                          alert_config=settings)
    return op.execute(cast(Any, {"run_id": "manual__watchdog", "ti": None}))


def test_alerts_reach_the_smtp_sink_once_per_change_without_phi(
    phi_store: PhiStore, smtp_conn: SmtpSink, pg_conn_id: str
) -> None:
    store, sink = phi_store.store, smtp_conn
    first = _execute(pg_conn_id, store, _settings())
    assert first["fired"] == 4 and first["sent"] == 4 and first["firing_codes"] == ["E120", "E121", "E123", "E124"]
    subjects = sink.subjects()
    assert sorted(s.split(" ")[2] for s in subjects) == ["E120", "E121", "E123", "E124"]
    assert all(s.startswith("[intakeflow] FIRING ") and s.endswith(f"({store.schema})") for s in subjects)
    assert "[intakeflow] FIRING E120 Backlog not processed: mllp" in " ".join(subjects)
    assert {a for env in sink.envelopes for a in env.rcpt_tos} == {"oncall@example.org"}
    backlog = next(b for b in sink.bodies() if "E120: 30 messages of source mllp wait" in b)
    assert "What to do:" in backlog and "intakeflow health --schema" in backlog
    assert "https://airflow.example.org/intakeflow/" in backlog
    # the next minute: the same conditions, no second e-mail
    assert _execute(pg_conn_id, store, _settings())["sent"] == 0 and len(sink.received) == 4
    # the backlog is worked off: one resolve message for it, nothing for the others
    process(store, "mllp", 30)
    third = _execute(pg_conn_id, store, _settings())
    assert third["resolved"] == 1 and third["sent"] == 1
    assert sink.subjects()[-1].startswith("[intakeflow] RESOLVED E120 Backlog not processed: mllp")
    leaks = _leaks(sink, phi_store.secrets)
    assert len(phi_store.secrets) > 60 and leaks == [], f"{len(leaks)} PHI strings in the alert e-mails"


def test_a_failing_smtp_server_keeps_the_alert_pending_and_fails_the_task(
    phi_store: PhiStore, smtp_conn: SmtpSink, pg_conn_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, sink = phi_store.store, smtp_conn
    down = {"conn_type": "smtp", "host": "127.0.0.1", "port": 1, "extra": {"disable_tls": True, "disable_ssl": True,
                                                                          "timeout": 2, "retry_limit": 0}}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DOWN", json.dumps(down))
    settings = _settings()
    settings["notifiers"] = [{**settings["notifiers"][0], "smtp_conn_id": "smtp_down", "name": "oncall-mail"},
                             {"type": "log"}]
    with pytest.raises(IntakeflowError) as failed:
        _execute(pg_conn_id, store, settings)
    assert str(failed.value) == "E125: alert notifier oncall-mail failed (ConnectionRefusedError); it is tried again " \
                                "at the next check"
    # the SMTP server is back (same notifier name): the four alerts go out now, once
    settings["notifiers"][0]["smtp_conn_id"] = "smtp_sink"
    assert _execute(pg_conn_id, store, settings)["sent"] == 4
    assert len(sink.received) == 4 and _execute(pg_conn_id, store, settings)["sent"] == 0


def test_the_watchdog_dag_sends_through_the_variable(
    phi_store: PhiStore, smtp_conn: SmtpSink, pg_conn_id: str, airflow_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("AIRFLOW_VAR_INTAKEFLOW_ALERTS", json.dumps(_settings()))
    dag = DagBag(str(REPO / "dags")).dags["intakeflow_watchdog"]
    conf = {"postgres_conn_id": pg_conn_id, "store_schema": phi_store.store.schema}
    run = dag.test(run_conf=conf)
    assert str(run.state) == "success"
    assert sorted(s.split(" ")[2] for s in smtp_conn.subjects()) == ["E120", "E121", "E123", "E124"]
    again = dag.test(run_conf=conf)
    assert str(again.state) == "success" and len(smtp_conn.received) == 4
    assert _leaks(smtp_conn, phi_store.secrets) == []
