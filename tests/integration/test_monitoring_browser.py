"""The monitoring page in a real browser (Debian's Chromium, driven by Playwright) against
``airflow standalone`` on PostgreSQL after the archive backfill: logged out it is refused,
logged in it is reached from Airflow's own navigation, its figures equal the database's and
its channel rows add up, the drill-down shows a run's quarantine by id and reason with links
into Airflow, the scheduled run that unpausing started waits for the default archive folder
and the page says so, a store with nothing in it shows the first-run guide, the message
browser finds a message by its control id and opens its history with the redacted text only,
reprocessing is refused to a viewer by Airflow's auth manager, and no message text (nor any
gold PHI string of the demo data) appears anywhere."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from it_support import DAG_ID, EMPTY_STORE, STORE, Archive, Backfilled, store_dsn

from tools.demo_data import demo_texts
from tools.devstack import ADMIN_USER, VIEWER_USER, AirflowStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: the flags a closed network needs (no background connections, no sandbox as root)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("INTAKEFLOW_SCREENSHOTS", Path(__file__).resolve().parents[2] / ".state" / "screenshots"))

#: the archive DAG's rows, as the page filtered by that DAG counts them (other tests add live rows)
OWN = f"m.processed_dag_id = '{DAG_ID}'"
DONE = "m.status IN ('processed', 'delivered')"

if not Path(CHROMIUM).exists():  # `make test` installs it; a bare pytest run may not have it
    pytest.skip("Chromium is not installed (make setup-browser)", allow_module_level=True)

from playwright.sync_api import Browser, FrameLocator, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    yield context.new_page()
    context.close()


def _login(page: Page, stack: AirflowStack, user: str = ADMIN_USER) -> None:
    page.goto(f"{stack.base_url}/")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(stack.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/", timeout=30_000)


def _figures(frame: FrameLocator) -> dict[str, str]:
    cards = frame.locator("[data-figure]")
    return {cards.nth(i).get_attribute("data-figure") or "": cards.nth(i).locator("b").inner_text()
            for i in range(cards.count())}


def _db(stack: AirflowStack, query: str) -> int:
    with psycopg.connect(store_dsn(stack)) as conn:
        row = conn.execute(query.replace("{s}", STORE)).fetchone()
    return int(row[0]) if row else -1


def _no_message_text(html: str) -> None:
    for item in demo_texts(96, seed=11):  # the texts the archive was written from
        for line in item.text.splitlines():
            if len(line) > 20:
                assert line not in html


def _no_gold_phi(html: str) -> None:
    """No identifier the demo texts were written with (their gold PHI spans), in any form the
    page could hold it: as written, or HTML-escaped."""
    from html import escape

    from models.generator import generate

    for row in generate(96, 11):
        for span in row["phi"]:
            value = str(row["text"])[span["start"]:span["end"]]
            if len(value) >= 4:  # shorter ones ("45", "Al") occur in any page's figures and words
                assert value not in html and escape(value) not in html, span["label"]


def test_logged_out_browser_gets_401(local_airflow: AirflowStack, page: Page) -> None:
    for path in ("/intakeflow/", "/intakeflow/api/dashboard", f"/intakeflow/run?dag_id={DAG_ID}&run_id=x",
                 "/intakeflow/messages", "/intakeflow/api/messages", "/intakeflow/message?id=1", "/intakeflow/audit"):
        resp = page.goto(f"{local_airflow.base_url}{path}")
        assert resp is not None and resp.status == 401


def test_page_from_the_nav_shows_the_database_figures(
    local_airflow: AirflowStack, local_backfill: Backfilled, hl7_archive: Archive, page: Page
) -> None:
    _login(page, local_airflow)
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="intakeflow").click()
    page.wait_for_url(re.compile(r"/plugin/intakeflow$"))
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_have_text("intakeflow monitoring", timeout=30_000)
    # choose the DAG in the page's own filter, as a user would
    frame.locator("select[name=dag_id]").select_option(DAG_ID)
    frame.get_by_role("button", name="Show").click()
    expect(frame.locator("p.note").nth(1)).to_contain_text(DAG_ID)

    figures = _figures(frame)
    processed = _db(local_airflow, f"SELECT count(*) FROM {{s}}.messages m WHERE {OWN} AND {DONE}")
    assert processed == hl7_archive.summary.messages - hl7_archive.summary.without_text
    assert figures["results"] == f"{processed:,}"
    filtered = _db(local_airflow, f"SELECT count(*) FROM {{s}}.filtered WHERE dag_id = '{DAG_ID}'")
    # every input of the archive: staged, rejected at staging or filtered
    assert figures["received"] == f"{hl7_archive.summary.messages + filtered:,}"
    delivered = _db(local_airflow, f"SELECT count(*) FROM {{s}}.messages m WHERE {OWN} AND m.status = 'delivered'")
    assert figures["delivered"] == f"{delivered:,}"
    phi = _db(local_airflow, f"SELECT count(*) FROM {{s}}.phi_spans p JOIN {{s}}.messages m ON m.id = p.message_id WHERE {OWN}")
    assert figures["phi"] == f"{phi:,}"
    insurance = _db(local_airflow, "SELECT COALESCE(sum(jsonb_array_length(f.spans)), 0) FROM {s}.insurance_fields f "
                                   f"JOIN {{s}}.messages m ON m.id = f.message_id WHERE {OWN}")
    assert figures["insurance"] == f"{insurance:,}"
    quarantined = _db(local_airflow, f"SELECT count(*) FROM {{s}}.quarantine WHERE dag_id = '{DAG_ID}'")
    assert figures["quarantined"] == f"{quarantined:,}"
    review = _db(local_airflow, "SELECT count(*) FROM {s}.intents i JOIN {s}.messages m ON m.id = i.message_id "
                                f"WHERE {OWN} AND i.needs_review")
    assert figures["needs-review"] == f"{review / processed:.1%}"
    # the channel rows add up: received = filtered + queued + processed + delivered + quarantined + failed
    states = ("filtered", "queued", "processed", "delivered", "quarantined", "failed")
    for row in frame.locator("table.channels tbody tr").all():
        cell = {c: int(row.locator(f"td[data-col={c}]").inner_text().replace(",", "")) for c in ("received", *states)}
        assert cell["received"] == sum(cell[c] for c in states)
    # unpausing started a scheduled run that waits for the default archive root: the page says so
    waiting = frame.locator("[data-panel=waiting]")
    expect(waiting).to_contain_text("/data/hl7-archive")
    expect(waiting).to_contain_text("does not exist")
    assert frame.locator("svg.chart").count() >= 6
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "monitoring-in-airflow.png"))
    _no_message_text(page.frames[-1].content())

    # drill down: the run that quarantined messages without text, from the runs table
    with psycopg.connect(store_dsn(local_airflow)) as conn:
        run_id, quarantined = conn.execute(
            f"SELECT run_id, count(*) FROM {STORE}.quarantine WHERE dag_id = '{DAG_ID}' GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone() or ("", 0)
    assert quarantined > 0
    frame.locator("table.runs a", has_text=run_id).click()
    expect(frame.locator("h1")).to_have_text(f"Run {run_id}", timeout=30_000)
    expect(frame.locator("h2", has_text="Quarantine")).to_have_text(f"Quarantine ({quarantined})")
    rows = frame.locator("table.quarantine tr")
    assert rows.count() == quarantined + 1
    assert "E022" in rows.nth(1).inner_text()
    # labelled figures and links into Airflow's own pages for the run's tasks
    expect(frame.locator("table.stats-process")).to_contain_text("Messages processed (result saved)")
    expect(frame.locator("table.tasks a", has_text="process").first).to_have_attribute(
        "href", re.compile(r"^\.\./dags/hl7_archive_intake/runs/.+/tasks/process$"))
    page.screenshot(path=str(SCREENSHOTS / "monitoring-run.png"))
    _no_message_text(page.frames[-1].content())
    # the run page on its own, whole
    page.goto(f"{local_airflow.base_url}/intakeflow/run?{urlencode({'dag_id': DAG_ID, 'run_id': run_id})}")
    expect(page.locator("table.run-messages")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "monitoring-run-full.png"), full_page=True)
    _no_message_text(page.content())

    # the whole page on its own (the iframe above scrolls inside Airflow's layout)
    page.goto(f"{local_airflow.base_url}/intakeflow/?dag_id={DAG_ID}")
    page.screenshot(path=str(SCREENSHOTS / "monitoring.png"), full_page=True)
    _no_message_text(page.content())


def test_an_empty_store_shows_the_first_run_guide(local_airflow: AirflowStack, page: Page) -> None:
    _login(page, local_airflow)
    resp = page.goto(f"{local_airflow.base_url}/intakeflow/?schema={EMPTY_STORE}")
    assert resp is not None and resp.status == 200
    expect(page.locator("h1")).to_have_text("intakeflow monitoring: nothing to show yet")
    expect(page.locator("[data-panel=first-run]")).to_contain_text("does not exist yet")
    expect(page.locator(".guide")).to_contain_text("Run hl7_archive_intake first")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "monitoring-first-run.png"), full_page=True)


def test_dag_run_tab_opens_that_runs_page(local_airflow: AirflowStack, local_backfill: Backfilled, page: Page) -> None:
    run_id = local_backfill.runs[0]["dag_run_id"]
    _login(page, local_airflow)
    page.goto(f"{local_airflow.base_url}/dags/{DAG_ID}/runs/{run_id}")
    page.get_by_text("intakeflow", exact=True).click()  # the plugin's tab beside Task Instances, Code, ...
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_have_text(f"Run {run_id}", timeout=30_000)


def test_message_browser_finds_a_message_and_opens_its_history(
    local_airflow: AirflowStack, local_backfill: Backfilled, page: Page
) -> None:
    """From Airflow's nav to the console, on to the message browser, a search by a
    message's HL7 control id (MSH-10), the message's page: its history with the runs that
    staged and processed it (linked to their tasks in Airflow), its routing, its redacted
    text; no inbound text and no gold PHI string on either page. The search page refreshes
    itself while it is open."""
    with psycopg.connect(store_dsn(local_airflow)) as conn:
        row = conn.execute(
            f"SELECT m.id, m.source_id, m.run_id FROM {STORE}.messages m WHERE {OWN} AND {DONE} "
            "AND m.redacted_text LIKE '%[%' ORDER BY m.id LIMIT 1").fetchone()
    assert row is not None
    message_id, source_id, run_id = int(row[0]), str(row[1]), str(row[2])
    control_id = source_id.rsplit("|", 1)[-1]

    _login(page, local_airflow)
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="intakeflow").click()
    frame = page.frame_locator("iframe")
    frame.locator("nav.console a", has_text="messages").click()
    expect(frame.locator("h1")).to_have_text("Messages", timeout=30_000)
    frame.locator("input[name=control_id]").fill(control_id)
    frame.get_by_role("button", name="Search").click()
    results = frame.locator("table.results tbody tr")
    expect(results).to_have_count(1, timeout=30_000)
    expect(results.first.locator("td[data-col=source_id]")).to_have_text(source_id)
    page.screenshot(path=str(SCREENSHOTS / "message-search.png"))
    _no_message_text(page.frames[-1].content())
    _no_gold_phi(page.frames[-1].content())

    results.first.locator("td[data-col=id] a").click()
    expect(frame.locator("h1")).to_have_text(f"Message {message_id}", timeout=30_000)
    history = frame.locator("table.history")
    expect(history.locator("tr[data-row=staged]")).to_contain_text(run_id)
    expect(history.locator("tr[data-row=processed]")).to_contain_text("result saved")
    expect(history.locator("tr[data-row=processed] a", has_text="(log)")).to_have_attribute(
        "href", re.compile(r"^\.\./dags/hl7_archive_intake/runs/.+/tasks/process$"))
    expect(frame.locator("pre.redacted")).to_contain_text("[")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "message-browser.png"))
    _no_message_text(page.frames[-1].content())
    _no_gold_phi(page.frames[-1].content())

    # the page on its own, whole; it refreshes itself (here every 2 s) while it is shown
    page.goto(f"{local_airflow.base_url}/intakeflow/message?{urlencode({'id': message_id, 'refresh': 2})}")
    expect(page.locator("[data-refresh-status]")).to_contain_text("updated", timeout=15_000)
    expect(page.locator("table.history")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "message-browser-full.png"), full_page=True)
    _no_message_text(page.content())
    _no_gold_phi(page.content())


def test_reprocess_needs_edit_permission_on_the_dag(
    local_airflow: AirflowStack, local_backfill: Backfilled, browser: Browser
) -> None:
    """Airflow's own auth manager decides: a viewer gets 403 from the endpoint, an admin
    gets past the permission check (409 here: the message is not quarantined). Nothing is
    recorded for either."""
    with psycopg.connect(store_dsn(local_airflow)) as conn:
        row = conn.execute(f"SELECT m.id FROM {STORE}.messages m WHERE {OWN} AND {DONE} ORDER BY m.id LIMIT 1").fetchone()
    assert row is not None
    ask = {"ids": [int(row[0])], "reason": "browser test", "request_id": "it-permission"}
    origin = {"Origin": local_airflow.base_url}
    verdicts = {}
    for user in (VIEWER_USER, ADMIN_USER):
        context = browser.new_context()
        page = context.new_page()
        _login(page, local_airflow, user)
        page.goto(f"{local_airflow.base_url}/intakeflow/message?id={row[0]}")
        expect(page.locator("table.history")).to_be_visible()
        resp = page.request.post(f"{local_airflow.base_url}/intakeflow/api/reprocess?dag_id={DAG_ID}", data=ask,
                                 headers=origin)
        verdicts[user] = resp.status
        assert page.request.post(f"{local_airflow.base_url}/intakeflow/api/reprocess", data=ask).status == 403
        context.close()
    assert verdicts == {VIEWER_USER: 403, ADMIN_USER: 409}
    assert _db(local_airflow, "SELECT count(*) FROM {s}.audit WHERE request_id = 'it-permission'") == 0
