"""The console's React app as the monitoring app serves it: the committed bundle (current with
its sources, small, using Airflow's own React and Chakra UI), and the JSON it draws, which must
say what the server-rendered dashboard says for the same request (figures, channel rows that
add up, every timeline bucket) and carry no message text. The app in a browser inside
Airflow's UI: tests/integration/test_monitoring_browser.py."""

from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.testclient import TestClient
from health_support import claim, execute, heartbeat, stage
from page_reader import PageReader, number
from seed_store import DAG_A, EXPECTED_CHANNELS, TEXT_MARK, Seeded
from test_app import MISSING_ROOT, WAIT, FakeAirflow, _allow

from intakeflow.health.config import parse_config
from intakeflow.health.watchdog import connect as watchdog_connect
from intakeflow.health.watchdog import run_watchdog
from intakeflow.plugins.monitoring import console, queries, watchdog
from intakeflow.plugins.monitoring.airflow_view import DagSetup
from intakeflow.plugins.monitoring.app import Board, create_app
from intakeflow.plugins.monitoring.queries import CHANNEL_STATES
from intakeflow.store import Store
from tools import ui_stamp

#: the host's globals the bundle takes React, React Router and Chakra UI from (Airflow 3.3's UI)
HOST_GLOBALS = ("ReactJSXRuntime", "ChakraUI", "React", "ReactRouterDOM")


def _client(dsn: str, schema: str, *deps: object, airflow: FakeAirflow | None = None) -> TestClient:
    app = create_app(lambda: dsn, [schema, "other_store"], dependencies=deps or (_allow,), airflow=airflow,
                     store_conn_id="intakeflow_postgres", archive_default=MISSING_ROOT)
    return TestClient(app)


# -- the bundle ---------------------------------------------------------------------------------


def test_the_committed_bundle_is_built_from_the_committed_sources() -> None:
    """`make ui` stamps the sources and the bundle; editing either without rebuilding fails here."""
    assert ui_stamp.STAMP.read_text() == ui_stamp.stamp(), "the console bundle is stale: run `make ui` and commit"


def test_bundle_takes_react_and_chakra_from_airflow_and_stays_small() -> None:
    code = console.BUNDLE.read_text()
    # UMD: assigns the component to globalThis.AirflowPlugin, where Airflow's loader looks
    assert "AirflowPlugin=" in code
    for name in HOST_GLOBALS:
        assert f".{name}" in code, name
    # nothing of React or Chakra inside: a second copy would render outside Airflow's theme
    assert "__SECRET_INTERNALS" not in code and "createSystem" not in code and "chakra-ui-color-mode" not in code
    assert len(code.encode()) < 64 * 1024


def test_the_installed_airflow_ui_exposes_what_the_bundle_takes() -> None:
    """Airflow's built UI sets React, React Router and Chakra UI on globalThis and reads a
    React app's component from globalThis.AirflowPlugin: an Airflow upgrade that stops doing
    so fails here, not in a user's browser."""
    import airflow

    assets = Path(airflow.__file__).parent / "ui" / "dist" / "assets"
    ui = "".join(p.read_text(errors="replace") for p in assets.glob("index-*.js"))
    for name in HOST_GLOBALS:
        assert f"Reflect.set(globalThis,`{name}`" in ui, name
    assert "globalThis.AirflowPlugin" in ui and "bundle_url" in ui


def test_bundle_is_served_as_javascript_behind_the_apps_guard(pg_dsn: str) -> None:
    resp = _client(pg_dsn, "unused").get(console.BUNDLE_ROUTE)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/javascript")
    assert resp.content == console.BUNDLE.read_bytes() and "etag" in resp.headers

    def deny(request: Request) -> None:
        raise HTTPException(403, "no")

    assert _client(pg_dsn, "unused", deny).get(console.BUNDLE_ROUTE).status_code == 403
    assert _client(pg_dsn, "unused", deny).get("/api/console/dashboard").status_code == 403


# -- the JSON -----------------------------------------------------------------------------------


def test_console_json_says_what_the_html_dashboard_says(seeded: Seeded) -> None:
    client = _client(seeded.store.dsn, seeded.store.schema)
    start = (seeded.started - timedelta(hours=1)).isoformat()
    body = client.get("/api/console/dashboard", params={"start": start}).json()
    page = PageReader(client.get("/", params={"start": start}).text)
    assert body["store"]["condition"] == "ready" and body["schemas"] == [seeded.store.schema, "other_store"]
    t = body["totals"]
    for key in ("received", *CHANNEL_STATES, "results", "phi", "insurance"):
        card = page.cards[key]
        value = t.get(key, t.get({"phi": "phi_spans", "insurance": "insurance_fields"}.get(key, key)))
        assert number(card) == value, key
    # one row per source, each adding up, and their sum the totals
    rows = {r["source"]: r for r in body["channels"]}
    assert {s: {k: rows[s][k] for k in CHANNEL_STATES} for s in rows} == EXPECTED_CHANNELS
    for r in body["channels"]:
        assert r["received"] == sum(r[k] for k in CHANNEL_STATES)
    for k in ("received", *CHANNEL_STATES):
        assert t[k] == sum(r[k] for r in body["channels"])
    assert TEXT_MARK not in str(body)


@pytest.mark.parametrize(("hours", "buckets", "name"), [(1, 12, "5 minutes"), (720, 30, "day")])
def test_timeline_has_every_bucket_of_the_period(seeded: Seeded, hours: int, buckets: int, name: str) -> None:
    body = _client(seeded.store.dsn, seeded.store.schema).get("/api/console/dashboard", params={"hours": hours}).json()
    times = [datetime.fromisoformat(b["t"]) for b in body["timeline"]]
    assert len(times) == buckets and body["period"]["bucket_name"] == name
    assert times == sorted(times) and all(b - a == timedelta(seconds=body["period"]["bucket_s"])
                                          for a, b in pairwise(times))
    assert sum(b["received"] for b in body["timeline"]) == body["totals"]["received"]


def test_one_bucket_periods_give_one_bucket(seeded: Seeded) -> None:
    end = datetime.now(UTC) + timedelta(minutes=1)
    params = {"start": (end - timedelta(minutes=1)).isoformat(), "end": end.isoformat()}
    body = _client(seeded.store.dsn, seeded.store.schema).get("/api/console/dashboard", params=params).json()
    assert len(body["timeline"]) == 1 and body["period"]["bucket_name"] == "minute"


def test_an_empty_store_answers_the_guides_facts_not_an_error(pg_dsn: str, store_schema: str) -> None:
    airflow = FakeAirflow(waiting=[WAIT], setups=[DagSetup(DAG_A, False, {"archive_root": MISSING_ROOT})])
    resp = _client(pg_dsn, store_schema, airflow=airflow).get("/api/console/dashboard")
    assert resp.status_code == 200
    body = resp.json()
    assert body["store"]["condition"] == "missing" and "channels" not in body
    assert body["dag_setups"] == [{"dag_id": DAG_A, "paused": False, "archive_root": MISSING_ROOT, "root_exists": False}]
    (wait,) = body["waits"]
    assert wait["day_folders"] == [f"{MISSING_ROOT}/2026/01/01"] and wait["root_exists"] is False
    assert wait["since"].startswith("2026-01-02T00:05:00")


def test_an_unreachable_store_is_a_503_the_app_shows_as_the_guide() -> None:
    app = create_app(lambda: "postgresql://svc:s3cret-pw@127.0.0.1:1/none", ["intakeflow"], dependencies=[_allow])
    resp = TestClient(app).get("/api/console/dashboard")
    assert resp.status_code == 503 and "s3cret" not in resp.text
    assert resp.json()["detail"].startswith("store database unavailable")


def test_server_rendered_pages_take_airflows_theme_after_their_own_style(seeded: Seeded) -> None:
    """The run tab and the message record are HTML in Airflow's iframe: the theme (Airflow's
    tokens, read from the page around them; the browser test checks the result) comes after the
    page's own style, so its fonts and colours win."""
    from seed_store import RUN_A

    from intakeflow.plugins.monitoring import theme

    client = _client(seeded.store.dsn, seeded.store.schema)
    run = client.get("/api/run", params={"dag_id": DAG_A, "run_id": RUN_A}).json()
    quarantined = [q["message_id"] for q in run["quarantine"] if q["message_id"]]
    assert quarantined
    pages = [client.get("/").text, client.get("/run", params={"dag_id": DAG_A, "run_id": RUN_A}).text,
             client.get("/message", params={"id": quarantined[0]}).text]
    for page in pages:
        assert page.count(theme.HEAD) == 1
        assert page.index("</style>") < page.index(theme.HEAD) < page.index("</head>")
        assert "MutationObserver" not in PageReader(page).visible()  # the script is no visible text


# -- the watchdog -------------------------------------------------------------------------------


def _watchdog_round(store: Store) -> None:
    with watchdog_connect(store.dsn) as conn:
        run_watchdog(conn, store.schema, parse_config(None), {})


def _board_and_panel(store: Store) -> tuple[dict[str, Any], str, watchdog.WatchdogView]:
    """The console's JSON and the HTML panel from one read of the store (the ages tick between requests)."""
    with psycopg.connect(store.dsn) as conn:
        state = queries.store_state(conn, store.schema)
        view = watchdog.read(conn, store.schema)
    b = Board(state, None, [], store.schema, {}, watchdog=view)
    return jsonable_encoder(console.dashboard_body(b, [store.schema], None)), watchdog.panel(view), view


def _text(markup: str) -> str:
    return html_lib.unescape(re.sub("<[^>]+>", "", markup))


def test_console_json_carries_the_watchdog_panels_figures(store: Store) -> None:
    """A stalled backlog and a silent listener: the console gets the HTML panel's figures,
    per source and per firing alert, with the catalogue's title and sentence."""
    stage(store, "mllp", 3, age_s=1200, text=TEXT_MARK)  # 20 minutes queued, nothing running
    stage(store, "hl7v2", 2, age_s=1200, prefix="h", text=TEXT_MARK)
    claim(store, "hl7v2", 1, age_s=30)  # being worked on
    heartbeat(store, "mllp", age_s=600)
    _watchdog_round(store)
    body, box, view = _board_and_panel(store)
    wd = body["watchdog"]
    # the module's own JSON, each alert with the catalogue's title and sentence added
    plain = {**wd, "alerts": [{k: v for k, v in a.items() if k not in ("title", "sentence")} for a in wd["alerts"]]}
    assert {k: plain[k] for k in view.as_json()} == jsonable_encoder(view.as_json())
    assert wd["stale"] is False and wd["dag_id"] == "intakeflow_watchdog" and wd["checked_at"] is not None
    backlog = {r["subject"]: r for r in wd["backlog"]}
    assert {s: (r["firing"], r["figures"]["queued"], r["figures"]["running"]) for s, r in backlog.items()} == {
        "mllp": (True, 3, False), "hl7v2": (False, 2, True)}  # a claimed message still counts as queued
    for subject, r in backlog.items():  # the same figures the HTML panel shows
        li = re.search(rf'<li data-backlog="{subject}" data-firing="{str(r["firing"]).lower()}">(.*?)</li>', box)
        assert li, subject
        queued = re.search(r'data-figure="queued">([\d,]+)<', li.group(1))
        assert queued and queued.group(1) == str(r["figures"]["queued"])
        assert _text(li.group(1)).split("oldest ")[1].startswith(
            watchdog._age(r["figures"]["oldest_queued_s"]))
    assert sorted(a["key"] for a in wd["alerts"]) == ["backlog:mllp", "listener_down:mllp"]
    for a in wd["alerts"]:
        assert a["state"] == "firing" and a["sentence"].startswith(f"{a['code']}: ")
        li = re.search(rf'<li data-alert="{re.escape(a["key"])}">(.*?)</li>', box)
        assert li and f"{a['code']} {a['title']}" in _text(li.group(1))
        assert _text(li.group(1)).endswith(a["sentence"].split(": ", 1)[1])
    by_key = {a["key"]: a for a in wd["alerts"]}
    assert by_key["listener_down:mllp"]["code"] == "E123" and by_key["backlog:mllp"]["code"] == "E120"
    assert by_key["backlog:mllp"]["figures"]["queued"] == 3
    assert TEXT_MARK not in str(wd)

    # the route answers it too, next to the figures of the period
    served = _client(store.dsn, store.schema).get("/api/console/dashboard").json()
    assert sorted(a["key"] for a in served["watchdog"]["alerts"]) == ["backlog:mllp", "listener_down:mllp"]
    assert {r["subject"]: r["figures"]["queued"] for r in served["watchdog"]["backlog"]} == {"mllp": 3, "hl7v2": 2}
    assert TEXT_MARK not in str(served)


def test_console_json_says_whether_the_watchdog_ran_and_how_long_ago(store: Store) -> None:
    stage(store, "mllp", 1, age_s=1200)
    body, box, _ = _board_and_panel(store)
    wd = body["watchdog"]
    assert wd["checked_at"] is None and wd["alerts"] == [] and wd["stale"] is False
    assert "has not checked this store yet" in box
    assert [(r["subject"], r["firing"]) for r in wd["backlog"]] == [("mllp", True)]  # read live all the same
    _watchdog_round(store)
    execute(store, "UPDATE {s}.watchdog SET checked_at = now() - interval '12 minutes'")
    body, box, _ = _board_and_panel(store)
    wd = body["watchdog"]
    assert wd["stale"] is True and wd["age_s"] > wd["stale_after_s"] == watchdog.STALE_AFTER_S
    assert f"last checked {watchdog._age(wd['age_s'])} ago" in box
