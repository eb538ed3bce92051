"""``intakeflow health``: the watchdog's checks from a shell, JSON with stable keys, exit 3
while an alert condition holds; read-only (records no alert state)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from intakeflow.cli import main
from intakeflow.results import InboundMessage
from intakeflow.store import Store

pytestmark = pytest.mark.integration

UNREACHABLE_DSN = "postgresql://postgres@127.0.0.1:1/test"
TEXT = "Synthetic-Patient-Orla called about her bill, chart 7654321"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["health", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _queued(store: Store, age_s: float) -> None:
    store.stage([InboundMessage("mllp", f"ctl-id-{i}", f"{TEXT} {i}", patient_ref="MR-7654321") for i in range(3)], "r")
    with psycopg.connect(store.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {}.messages SET created_at = now() - make_interval(secs => %s)").format(
            sql.Identifier(store.schema)), [age_s])


def test_firing_exits_3_with_stable_json(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    _queued(store, 1200)
    code, out, err = _run(capsys, "--dsn", store.dsn, "--schema", store.schema, "--json")
    assert code == 3 and err == ""
    report: dict[str, Any] = json.loads(out)
    assert set(report) == {"schema", "checked_at", "firing", "checks", "watchdog"}
    assert report["firing"] == 1 and report["watchdog"] == {"checked_at": None, "age_s": None, "firing": []}
    (backlog, *_) = report["checks"]
    assert set(backlog) == {"check", "subject", "firing", "code", "title", "figures", "thresholds"}
    assert backlog | {"figures": None} == {"check": "backlog", "subject": "mllp", "firing": True, "code": "E120",
                                          "title": "Backlog not processed", "figures": None,
                                          "thresholds": {"backlog_age_s": 600}}
    assert backlog["figures"]["queued"] == 3 and backlog["figures"]["running"] is False
    assert "Orla" not in out and "7654321" not in out and "ctl-id-" not in out
    # read-only: the watchdog's state is untouched
    with psycopg.connect(store.dsn) as conn:
        assert conn.execute(sql.SQL("SELECT count(*) FROM {}.alerts").format(sql.Identifier(store.schema))).fetchone() \
            == (0,)


def test_lines_and_exit_0_when_nothing_fires(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    _queued(store, 30)
    code, out, _ = _run(capsys, "--dsn", store.dsn, "--schema", store.schema)
    assert code == 0
    assert "0 alert conditions holding" in out and "ok     E120  backlog" in out
    assert "watchdog: never ran in this store" in out


def test_thresholds_from_the_variable_environment_or_a_file(
    store: Store, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _queued(store, 30)
    monkeypatch.setenv("AIRFLOW_VAR_INTAKEFLOW_ALERTS", json.dumps({"backlog_age_s": 10}))
    assert _run(capsys, "--dsn", store.dsn, "--schema", store.schema)[0] == 3
    relaxed = tmp_path / "alerts.json"
    relaxed.write_text(json.dumps({"sources": {"mllp": {"backlog_age_s": 3600}}}))
    assert _run(capsys, "--dsn", store.dsn, "--schema", store.schema, "--config", str(relaxed))[0] == 0
    code, out, _ = _run(capsys, "--print-config", "--config", str(relaxed))
    assert code == 0 and json.loads(out)["sources"] == {"mllp": {"backlog_age_s": 3600}}


def test_bad_settings_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_VAR_INTAKEFLOW_ALERTS", '{"backlog_age": 10}')
    code, _, err = _run(capsys, "--dsn", UNREACHABLE_DSN)
    assert code == 2 and "E050: invalid configuration: intakeflow_alerts: unknown key 'backlog_age'" in err


def test_unreachable_or_unmigrated_store_exits_1(
    pg_dsn: str, store_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "--dsn", UNREACHABLE_DSN)
    assert (code, out) == (1, "") and err.startswith("E051: PostgreSQL store unreachable")
    code, out, err = _run(capsys, "--dsn", pg_dsn, "--schema", store_schema)
    assert (code, out) == (1, "") and f"store schema {store_schema} does not exist" in err


@pytest.mark.parametrize(("inputs", "noted"), [(3, True), (20, False)])
def test_a_share_under_the_minimum_inputs_says_it_is_not_judged(inputs: int, noted: bool) -> None:
    from intakeflow.cli.health import format_report

    check = {"check": "quarantine_share", "subject": "hl7v2", "firing": False, "code": "E121",
             "title": "Quarantine share high", "figures": {"inputs": inputs, "quarantined": 2, "share": 2 / inputs},
             "thresholds": {"quarantine_share": 0.2, "quarantine_window_s": 3600, "quarantine_min_inputs": 20}}
    report = {"schema": "s", "checked_at": "t", "firing": 0, "checks": [check],
              "watchdog": {"checked_at": None, "age_s": None, "firing": []}}
    line = next(x for x in format_report(report).splitlines() if "E121" in x)
    assert line.lstrip().startswith("ok") and ("(not judged under 20 inputs)" in line) is noted
