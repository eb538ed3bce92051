"""The dashboard's watchdog panel: per source "backlog: N messages queued, oldest X, nothing
running", the alerts firing, and whether the watchdog DAG checks at all."""

from __future__ import annotations

import re

import psycopg
import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from health_support import claim, heartbeat, process, stage
from psycopg import sql

from intakeflow.health.config import parse_config
from intakeflow.health.watchdog import connect, run_watchdog
from intakeflow.plugins.monitoring.app import create_app
from intakeflow.plugins.monitoring.watchdog import WatchdogView, panel
from intakeflow.store import Store

pytestmark = pytest.mark.integration

TEXT = "Synthetic-Patient-Wren"


def _allow(request: Request) -> None:
    return None


def _client(store: Store) -> TestClient:
    return TestClient(create_app(lambda: store.dsn, [store.schema], dependencies=[_allow]))


def _panel(page: str) -> str:
    found = re.search(r'<(div|p) class="[^"]*"[^>]*data-panel="watchdog".*?</\1>', page, re.S)
    assert found, "no watchdog panel"
    return found.group(0)


def _watchdog_round(store: Store) -> None:
    with connect(store.dsn) as conn:
        run_watchdog(conn, store.schema, parse_config(None), {})


def test_a_stalled_backlog_and_the_firing_alerts(store: Store) -> None:
    stage(store, "mllp", 3, age_s=1200, text=TEXT)  # 20 minutes queued, nothing running
    stage(store, "hl7v2", 2, age_s=1200, prefix="h", text=TEXT)
    claim(store, "hl7v2", 1, age_s=30)  # being worked on
    heartbeat(store, "mllp", age_s=600)
    _watchdog_round(store)
    page = _client(store).get("/").text
    box = _panel(page)
    assert 'class="panel bad"' in box and "Watchdog: 2 alerts firing" in box
    mllp = re.search(r'<li data-backlog="mllp" data-firing="true">(.*?)</li>', box)
    assert mllp and re.sub("<[^>]+>", "", mllp.group(1)) == "backlog mllp: 3 messages queued, oldest 20 min, " \
                                                             "nothing running"
    hl7 = re.search(r'<li data-backlog="hl7v2" data-firing="false">(.*?)</li>', box)
    assert hl7 and "running (last claim or result 30 s ago)" in hl7.group(1)
    assert 'data-alert="backlog:mllp"' in box and 'data-alert="listener_down:mllp"' in box
    assert "E123 MLLP listener not running" in box and "Last check 0 s ago" in box
    assert TEXT not in page
    body = _client(store).get("/api/dashboard").json()["watchdog"]
    assert sorted(a["key"] for a in body["alerts"]) == ["backlog:mllp", "listener_down:mllp"]
    assert {r["subject"]: r["firing"] for r in body["backlog"]} == {"hl7v2": False, "mllp": True}


def test_the_panel_says_when_the_watchdog_never_ran_or_stopped(store: Store) -> None:
    stage(store, "mllp", 1, age_s=1200)
    box = _panel(_client(store).get("/").text)
    assert "has not checked this store yet: unpause the DAG <code>intakeflow_watchdog</code>" in box
    assert 'data-backlog="mllp" data-firing="true"' in box  # read live all the same
    _watchdog_round(store)
    with psycopg.connect(store.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {}.watchdog SET checked_at = now() - interval '12 minutes'").format(
            sql.Identifier(store.schema)))
    box = _panel(_client(store).get("/").text)
    assert "last checked 12 min ago: is the DAG <code>intakeflow_watchdog</code> paused or failing?" in box


def test_quiet_when_all_is_well(store: Store) -> None:
    stage(store, "mllp", 2, age_s=5)
    process(store, "mllp", 2)
    _watchdog_round(store)
    box = _panel(_client(store).get("/").text)
    assert box.startswith('<p class="note" data-panel="watchdog">Watchdog: no alert firing, nothing queued.')


def test_panel_without_a_view_is_empty() -> None:
    assert panel(None) == ""
    assert "not in this store yet" in panel(WatchdogView(migrated=False))
