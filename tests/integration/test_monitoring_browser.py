"""The monitoring console in a real browser (Debian's Chromium, driven by Playwright) against
``airflow standalone`` on PostgreSQL after the archive backfill: logged out it is refused,
logged in it is reached from Airflow's own navigation (a React app inside Airflow's page),
its figures equal the database's and ``intakeflow status`` and its channel rows add up, the
drill-down shows a run's quarantine by id and reason with links into Airflow, the scheduled
run that unpausing started waits for the default archive folder and the page says so, a
store with nothing in it shows the first-run guide, in light and in dark mode the console's
fonts and colours are those of Airflow's own pages, the message browser finds a message by
its control id and opens its history with the redacted text only, reprocessing is refused to
a viewer by Airflow's auth manager, and no message text (nor any gold PHI string of the demo
data on the message browser's pages) appears anywhere.

Screenshots (``.state/screenshots/`` or ``$INTAKEFLOW_SCREENSHOTS``): ``console-{light,dark}.png``
and ``console-first-run-{light,dark}.png`` (the React console), ``console-run-{light,dark}.png``
(a run's tab, from the console's runs table), ``monitoring-in-airflow.png``
(reached from the nav), ``monitoring-run.png`` (a run's tab), and the server-rendered pages
on their own: ``monitoring.png``, ``monitoring-run-full.png``, ``monitoring-first-run.png``; the
message browser: ``message-search.png``, ``message-browser.png`` (both inside Airflow's page),
``message-browser-full.png`` and ``message-browser-dark.png``."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

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

from playwright.sync_api import Browser, FrameLocator, Locator, Page, expect, sync_playwright  # noqa: E402

#: the React console inside Airflow's page (ui/console/src/main.tsx)
CONSOLE = "[data-console=intakeflow]"


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


def _figures(scope: FrameLocator | Locator, value: str = "[data-value]") -> dict[str, str]:
    """The figures as shown: the server-rendered page has each in ``<b>``, the console in ``[data-value]``."""
    cards = scope.locator("[data-figure]")
    return {cards.nth(i).get_attribute("data-figure") or "": cards.nth(i).locator(value).inner_text()
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


def _no_unredacted_line(html: str) -> None:
    """For pages that show a message's redacted text, where a line without identifiers reads
    as it was written: no line of the demo texts that holds a gold PHI span, as written."""
    from models.generator import generate

    for row in generate(96, 11):
        text, start = str(row["text"]), 0
        for line in text.split("\n"):
            end = start + len(line)
            if len(line) > 20 and any(s["start"] < end and s["end"] > start for s in row["phi"]):
                assert line not in html
            start = end + 1


def _no_gold_phi(html: str, issued_ids: Iterable[str] = ()) -> None:
    """No identifier the demo texts were written with (their gold PHI spans) as the texts had
    it, as written or HTML-escaped (``tests/gold_phi.py``: a short one standing on its own,
    so that a time or a random FHIR id holding "1-20" by chance is no finding). Only labels
    are reported, never the values."""
    from gold_phi import gold_found, gold_of

    from models.generator import generate

    found = [g.label for g in gold_found(html, gold_of(generate(96, 11)), issued_ids=issued_ids)]
    assert not found, found


def test_logged_out_browser_gets_401(local_airflow: AirflowStack, page: Page) -> None:
    for path in ("/intakeflow/", "/intakeflow/api/dashboard", f"/intakeflow/run?dag_id={DAG_ID}&run_id=x",
                 "/intakeflow/console.js", "/intakeflow/api/console/dashboard", "/intakeflow/messages",
                 "/intakeflow/api/messages", "/intakeflow/message?id=1", "/intakeflow/audit"):
        resp = page.goto(f"{local_airflow.base_url}{path}")
        assert resp is not None and resp.status == 401


def test_page_from_the_nav_shows_the_database_figures(
    local_airflow: AirflowStack, local_backfill: Backfilled, hl7_archive: Archive, page: Page
) -> None:
    _login(page, local_airflow)
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="intakeflow", exact=True).click()
    page.wait_for_url(re.compile(r"/plugin/intakeflow$"))
    console = page.locator(CONSOLE)
    expect(console.locator("h1")).to_have_text("intakeflow monitoring", timeout=30_000)
    # choose the DAG in the console's own filter, as a user would
    console.locator("select[name=dag_id]").select_option(DAG_ID)
    expect(console.locator("[data-note=period]")).to_contain_text(DAG_ID)
    expect(console.locator("[data-figure=results] [data-value]")).not_to_have_text("–")

    figures = _figures(console)
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
    _channel_rows_add_up(console)
    # unpausing started a scheduled run that waits for the default archive root: the console says so
    waiting = console.locator("[data-panel=waiting]")
    expect(waiting).to_contain_text("/data/hl7-archive")
    expect(waiting).to_contain_text("does not exist")
    assert console.locator("[data-chart]").count() >= 7  # the timeline and six breakdowns
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "monitoring-in-airflow.png"))
    _no_message_text(page.content())

    # drill down: the run that quarantined messages without text, from the runs table
    with psycopg.connect(store_dsn(local_airflow)) as conn:
        run_id, quarantined = conn.execute(
            f"SELECT run_id, count(*) FROM {STORE}.quarantine WHERE dag_id = '{DAG_ID}' GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone() or ("", 0)
    assert quarantined > 0
    # a run opens its intakeflow tab on Airflow's DAG run page (the server-rendered run page)
    console.locator("table.runs a", has_text=run_id).click()
    page.wait_for_url(re.compile(r"/runs/.+/plugin/intakeflow-run$"))
    frame = page.frame_locator("iframe")
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

    # the server-rendered dashboard on its own, the fallback the console links to
    page.goto(f"{local_airflow.base_url}/intakeflow/?dag_id={DAG_ID}")
    assert _figures(page.locator("body"), "b") == figures
    page.screenshot(path=str(SCREENSHOTS / "monitoring.png"), full_page=True)
    _no_message_text(page.content())

    # drill down from a channel's quarantined count to those inputs in the message browser,
    # for the same period and DAG: as many rows as the count said
    page.goto(f"{local_airflow.base_url}/plugin/intakeflow?dag_id={DAG_ID}")
    console = page.locator(CONSOLE)
    cell = console.locator("table.channels tbody tr").first.locator("td[data-col=quarantined]")
    expect(cell.locator("a")).to_be_visible(timeout=30_000)
    shown = int(cell.inner_text().replace(",", ""))
    assert 0 < shown <= 50  # one page of the browser
    cell.locator("a").click()
    page.wait_for_url(re.compile(r"/intakeflow/messages\?.*status=quarantined"))
    expect(page.locator("table.results tbody tr")).to_have_count(shown, timeout=30_000)
    _no_message_text(page.content())


def _channel_rows_add_up(scope: Locator) -> None:
    """received = filtered + queued + processed + delivered + quarantined + failed, per row."""
    states = ("filtered", "queued", "processed", "delivered", "quarantined", "failed")
    rows = scope.locator("table.channels tbody tr").all()
    assert rows
    for row in rows:
        cell = {c: int(row.locator(f"td[data-col={c}]").inner_text().replace(",", "")) for c in ("received", *states)}
        assert cell["received"] == sum(cell[c] for c in states)


def _every_number_labelled(console: Locator) -> None:
    """Each figure has its label, each table cell a column heading, each chart a title."""
    for card in console.locator("[data-figure]").all():
        assert card.locator("[data-label]").inner_text().strip(), card.get_attribute("data-figure")
    for table in console.locator("table").all():
        headings = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        assert headings and all(headings)
        for row in table.locator("tbody tr, tfoot tr").all():
            assert row.locator("td").count() == len(headings)
    for chart in console.locator("[data-chart]").all():
        assert chart.locator("figcaption").inner_text().strip()


#: the computed styles compared between Airflow's own page and the console
STYLE_PROBE = """(el) => {
  const probe = document.createElement("div");
  probe.style.backgroundColor = "var(--chakra-colors-bg-panel)";
  probe.style.borderColor = "var(--chakra-colors-border)";
  document.body.appendChild(probe);
  const p = getComputedStyle(probe), b = getComputedStyle(document.body), e = getComputedStyle(el);
  const out = {panel: p.backgroundColor, border: p.borderTopColor, font: b.fontFamily, text: b.color,
               background: b.backgroundColor, element_font: e.fontFamily, element_text: e.color,
               element_background: e.backgroundColor, element_border: e.borderTopColor,
               html_class: document.documentElement.className};
  probe.remove();
  return out;
}"""


#: the same, inside the server-rendered run page (an iframe): its body, and a table's border
FRAME_PROBE = """(body) => {
  const b = getComputedStyle(body), t = document.querySelector("table");
  return {font: b.fontFamily, text: b.color, background: b.backgroundColor,
          border: t ? getComputedStyle(t).borderTopColor : null, html_class: document.documentElement.className};
}"""


def _lightness(color: str) -> float:
    """0 (black) to 1 (white), of a computed colour: ``rgb()`` or ``oklch()`` (Chakra's tokens)."""
    values = [float(x) for x in re.findall(r"[\d.]+", color)]
    if color.startswith("oklch"):
        return values[0] / 100 if "%" in color.split()[0] else values[0]
    r, g, b = values[:3]
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_console_in_light_and_dark_mode_looks_like_airflow(
    local_airflow: AirflowStack, local_backfill: Backfilled, browser: Browser, mode: Literal["light", "dark"],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The console after the demo data and on an empty store, in Airflow's light and dark
    mode (chosen as a user does, Airflow's own ``theme`` setting): no error page, every
    number labelled, counts equal to ``intakeflow status``, and the fonts and colours of the
    console equal those of Airflow's own Dags page in the same browser and mode."""
    from intakeflow.cli import main

    context = browser.new_context(viewport={"width": 1400, "height": 3000}, color_scheme=mode)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        _login(page, local_airflow)
        page.evaluate("(mode) => localStorage.setItem('theme', mode)", mode)
        # Airflow's own page: the reference
        page.goto(f"{local_airflow.base_url}/dags")
        own_heading = page.locator("main h2, h2").first
        expect(own_heading).to_be_visible(timeout=30_000)
        airflow = page.evaluate(STYLE_PROBE, own_heading.element_handle())
        assert mode in airflow["html_class"].split()

        # the console with the demo data: all DAGs over the last week, i.e. the whole store
        page.goto(f"{local_airflow.base_url}/plugin/intakeflow?hours=168")
        console = page.locator(CONSOLE)
        expect(console.locator("h1")).to_have_text("intakeflow monitoring", timeout=30_000)
        expect(console.locator("[data-figure=received] [data-value]")).not_to_have_text("–")
        assert console.locator("[data-panel=request-failed]").count() == 0
        assert "Internal Server Error" not in page.content()
        _every_number_labelled(console)
        _channel_rows_add_up(console)
        figures = {k: int(v.replace(",", "")) for k, v in _figures(console).items()
                   if k in ("filtered", "queued", "processed", "delivered", "quarantined", "failed")}
        assert main(["status", "--dsn", store_dsn(local_airflow), "--schema", STORE, "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert figures == {"queued": status["staged"], **{k: status[k] for k in figures if k != "queued"}}

        # a period chosen in the timezone picked in Airflow's user menu (Airflow keeps it in localStorage)
        zone = "America/New_York"
        page.evaluate("(zone) => localStorage.setItem('timezone', JSON.stringify(zone))", zone)
        page.reload()
        expect(console.locator("[data-figure=received] [data-value]")).not_to_have_text("–")
        # refused (over 400 days): said so, the last figures and the filters stay
        console.locator("input[name=start]").fill("2024-03-01T00:00")
        console.get_by_role("button", name="Show").click()
        expect(console.locator("[data-panel=request-refused]")).to_contain_text("at most 400 days")
        assert _figures(console)["received"] == f"{sum(figures.values()):,}"
        start = (datetime.now(ZoneInfo(zone)) - timedelta(days=2)).replace(second=0, microsecond=0)
        console.locator("input[name=start]").fill(start.strftime("%Y-%m-%dT%H:%M"))
        console.get_by_role("button", name="Show").click()
        utc = start.astimezone(UTC).strftime("%Y-%m-%dT%H%%3A%M%%3A00.000Z")
        page.wait_for_url(re.compile(f"start={utc}"))
        expect(console.locator("[data-note=period]")).to_contain_text(f"{start:%Y-%m-%d %H:%M}:00 {start:%Z} to ")
        expect(console.locator("[data-panel=request-refused]")).to_have_count(0)
        assert _figures(console)["received"] == f"{sum(figures.values()):,}"  # the demo data is younger
        page.evaluate("localStorage.removeItem('timezone')")
        page.goto(f"{local_airflow.base_url}/plugin/intakeflow?hours=168")
        expect(console.locator("[data-figure=received] [data-value]")).not_to_have_text("–")

        card = console.locator("[data-figure=received]")
        mine = card.evaluate(STYLE_PROBE)
        cell = console.locator("table.channels tbody td").first.evaluate(STYLE_PROBE)
        # Airflow's fonts and colours, in this mode
        assert mine["html_class"] == airflow["html_class"]
        for key in ("font", "text", "background", "panel", "border"):
            assert mine[key] == airflow[key], key
        assert mine["element_font"] == cell["element_font"] == airflow["element_font"]
        assert cell["element_text"] == airflow["text"]
        assert mine["element_background"] == airflow["panel"] and mine["element_border"] == airflow["border"]
        assert (_lightness(mine["element_background"]) < 0.3) == (mode == "dark")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"console-{mode}.png"), full_page=True)
        _no_message_text(page.content())

        # a run's tab (the server-rendered run page in Airflow's iframe) takes the same look
        run_link = console.locator("table.runs tbody tr").first.locator("td[data-col=run] a")
        run_id = run_link.inner_text()
        run_link.click()
        page.wait_for_url(re.compile(r"/runs/.+/plugin/intakeflow-run$"))
        frame = page.frame_locator("iframe")
        expect(frame.locator("h1")).to_have_text(f"Run {run_id}", timeout=30_000)
        run_page = frame.locator("body").evaluate(FRAME_PROBE)
        assert (run_page["font"], run_page["text"]) == (airflow["font"], airflow["text"])
        assert run_page["border"] == airflow["border"] and run_page["html_class"] == mode
        assert (_lightness(run_page["background"]) < 0.3) == (mode == "dark")
        page.screenshot(path=str(SCREENSHOTS / f"console-run-{mode}.png"))
        _no_message_text(page.frames[-1].content())

        # an empty store: the first-run guide, in the same look
        page.goto(f"{local_airflow.base_url}/plugin/intakeflow?schema={EMPTY_STORE}")
        expect(console.locator("h1")).to_have_text("intakeflow monitoring: nothing to show yet", timeout=30_000)
        expect(console.locator("[data-panel=first-run]")).to_contain_text("does not exist yet")
        expect(console.locator(".guide")).to_contain_text("Run hl7_archive_intake first")
        _every_number_labelled(console)
        guide = console.locator("[data-panel=first-run]").evaluate(STYLE_PROBE)
        assert (guide["font"], guide["text"], guide["element_font"]) == (airflow["font"], airflow["text"],
                                                                         airflow["element_font"])
        page.screenshot(path=str(SCREENSHOTS / f"console-first-run-{mode}.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()


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
    """From Airflow's nav (Browse, intakeflow messages) to the message browser, a search by a
    message's HL7 control id (MSH-10), the message's page: its history with the runs that
    staged and processed it (linked to their tasks in Airflow), its routing, its redacted
    text; no inbound text on the search page, and on the message's page no gold PHI string
    and no line of the inbound text that held one (its other lines read the same redacted).
    The page refreshes itself while it is open and shows its times in Airflow's timezone."""
    with psycopg.connect(store_dsn(local_airflow)) as conn:
        row = conn.execute(
            f"SELECT m.id, m.source_id, m.run_id FROM {STORE}.messages m WHERE {OWN} AND {DONE} "
            "AND m.redacted_text LIKE '%[%' ORDER BY m.id LIMIT 1").fetchone()
        assert row is not None
        # the ids the FHIR server assigned at random: shown on the page, never message text
        issued = [str(r[0]) for r in conn.execute(
            f"SELECT fhir_id FROM {STORE}.fhir_writes WHERE message_id = %s AND fhir_id IS NOT NULL", (row[0],))]
    message_id, source_id, run_id = int(row[0]), str(row[1]), str(row[2])
    control_id = source_id.rsplit("|", 1)[-1]

    _login(page, local_airflow)
    page.get_by_role("button", name="Browse").click()
    page.get_by_role("menuitem", name="intakeflow messages").click()
    page.wait_for_url(re.compile(r"/plugin/intakeflow-messages$"))
    frame = page.frame_locator("iframe")
    expect(frame.locator("h1")).to_have_text("Messages", timeout=30_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    frame.locator("input[name=control_id]").fill(control_id)
    frame.get_by_role("button", name="Search").click()
    results = frame.locator("table.results tbody tr")
    expect(results).to_have_count(1, timeout=30_000)
    expect(results.first.locator("td[data-col=source_id]")).to_have_text(source_id)
    page.screenshot(path=str(SCREENSHOTS / "message-search.png"))
    _no_message_text(page.frames[-1].content())
    _no_gold_phi(page.frames[-1].content(), issued)

    results.first.locator("td[data-col=id] a").click()
    expect(frame.locator("h1")).to_have_text(f"Message {message_id}", timeout=30_000)
    history = frame.locator("table.history")
    expect(history.locator("tr[data-row=staged]")).to_contain_text(run_id)
    expect(history.locator("tr[data-row=processed]")).to_contain_text("result saved")
    expect(history.locator("tr[data-row=processed] a", has_text="(log)")).to_have_attribute(
        "href", re.compile(r"^\.\./dags/hl7_archive_intake/runs/.+/tasks/process$"))
    expect(frame.locator("pre.redacted")).to_contain_text("[")
    page.screenshot(path=str(SCREENSHOTS / "message-browser.png"))
    _no_unredacted_line(page.frames[-1].content())
    _no_gold_phi(page.frames[-1].content(), issued)

    # the page on its own, whole; it refreshes itself (here every 2 s) while it is shown
    page.goto(f"{local_airflow.base_url}/intakeflow/message?{urlencode({'id': message_id, 'refresh': 2})}")
    expect(page.locator("[data-refresh-status]")).to_contain_text("updated", timeout=15_000)
    expect(page.locator("table.history")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "message-browser-full.png"), full_page=True)
    _no_unredacted_line(page.content())
    _no_gold_phi(page.content(), issued)
    # in Airflow's dark mode (its own setting) the page and its redacted-text box are dark too
    page.evaluate("() => localStorage.setItem('theme', 'dark')")
    page.reload()
    expect(page.locator("table.history")).to_be_visible()
    backgrounds = page.evaluate("""() => [getComputedStyle(document.body).backgroundColor,
                                          getComputedStyle(document.querySelector('pre.redacted')).backgroundColor]""")
    assert all(_lightness(b) < 0.3 for b in backgrounds), backgrounds
    page.screenshot(path=str(SCREENSHOTS / "message-browser-dark.png"), full_page=True)
    # its times in the timezone chosen in Airflow's user menu (kept in localStorage), as the console's
    zone = "America/New_York"
    with psycopg.connect(store_dsn(local_airflow)) as conn:
        staged_at = conn.execute(f"SELECT created_at FROM {STORE}.messages WHERE id = %s", (message_id,)).fetchone()
    assert staged_at is not None
    page.evaluate("(zone) => localStorage.setItem('timezone', JSON.stringify(zone))", zone)
    page.reload()
    staged = page.locator("table.history tr[data-row=staged] td[data-col=at] time")
    expect(staged).to_have_text(f"{staged_at[0].astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M:%S %Z}")
    expect(staged).to_have_attribute("title", f"{staged_at[0].astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")
    page.evaluate("localStorage.removeItem('timezone')")


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


#: a source only this test stages to (its rows are removed afterwards)
PROBE = "watchdog-probe"


def test_console_shows_a_stalled_backlog_and_its_alert(
    local_airflow: AirflowStack, local_backfill: Backfilled, page: Page
) -> None:
    """Messages of one source queued for 20 minutes with nothing running, and one round of
    the watchdog: the console's watchdog panel names the source with its labelled figures
    and the firing E120, its time in the timezone chosen in Airflow's user menu."""
    from health_support import stage

    from intakeflow.health.config import parse_config
    from intakeflow.health.watchdog import connect, run_watchdog
    from intakeflow.store import Store

    dsn = store_dsn(local_airflow)
    with psycopg.connect(dsn) as conn:
        alerts_before = [r[0] for r in conn.execute(f"SELECT key FROM {STORE}.alerts").fetchall()]
        watchdog_before = conn.execute(f"SELECT checked_at, thresholds FROM {STORE}.watchdog").fetchone()
    try:
        stage(Store(dsn, schema=STORE, pipeline_version="browser-probe"), PROBE, 3, age_s=1200)
        with connect(dsn) as conn:
            run_watchdog(conn, STORE, parse_config(None), {})
        with psycopg.connect(dsn) as conn:
            row = conn.execute(f"SELECT fired_at FROM {STORE}.alerts WHERE key = %s", (f"backlog:{PROBE}",)).fetchone()
        assert row, "the watchdog did not fire E120 on the probe's backlog"
        zone = "America/New_York"
        fired = row[0].astimezone(ZoneInfo(zone))

        _login(page, local_airflow)
        page.evaluate("(zone) => localStorage.setItem('timezone', JSON.stringify(zone))", zone)
        page.goto(f"{local_airflow.base_url}/plugin/intakeflow")
        console = page.locator(CONSOLE)
        panel = console.locator("[data-panel=watchdog]")
        expect(panel).to_have_attribute("data-state", "firing", timeout=30_000)
        expect(panel).to_contain_text("alert")
        backlog = panel.locator(f"li[data-backlog={PROBE}]")
        expect(backlog).to_have_attribute("data-firing", "true")
        expect(backlog).to_have_text(f"backlog {PROBE}: 3 messages queued, oldest 20 min, nothing running "
                                     "(alert threshold 10 min)")
        alert = panel.locator(f'li[data-alert="backlog:{PROBE}"]')
        expect(alert).to_contain_text(f"E120 Backlog not processed ({PROBE}), firing since "
                                      f"{fired:%Y-%m-%d %H:%M:%S %Z}: 3 messages of source {PROBE} wait")
        expect(panel).to_contain_text("Last check")
        # the panel comes before the channel table, and adds no unlabelled figure
        boxes = [console.locator(s).bounding_box() for s in ("[data-panel=watchdog]", "table.channels")]
        assert boxes[0] and boxes[1] and boxes[0]["y"] < boxes[1]["y"]
        _every_number_labelled(console)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        panel.screenshot(path=str(SCREENSHOTS / "console-watchdog.png"))
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f"DELETE FROM {STORE}.messages WHERE source = %s", (PROBE,))
            conn.execute(f"DELETE FROM {STORE}.alerts WHERE NOT key = ANY(%s)", (alerts_before,))
            if watchdog_before is None:
                conn.execute(f"DELETE FROM {STORE}.watchdog")
