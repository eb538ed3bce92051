"""HTML of the monitoring pages. Plain server-rendered markup with inline SVG charts; all
values are escaped and none of them is message text (see ``queries``).

Pages: the dashboard, the first-run guide (shown instead of the dashboard while the store
has nothing to show, or cannot be reached), one run, one message's record. Links into the
Airflow UI are relative and open in the top window (see ``airflow_view``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from intakeflow.errors import title_of
from intakeflow.plugins.monitoring import labels, theme
from intakeflow.plugins.monitoring.airflow_view import (
    DagSetup,
    RunState,
    TaskRun,
    Wait,
    airflow_dag_url,
    airflow_run_url,
    airflow_task_url,
)
from intakeflow.plugins.monitoring.charts import columns, hbar
from intakeflow.plugins.monitoring.queries import Dashboard, MessageRecord, RunDetail, StoreState

QUICK_PERIODS: tuple[tuple[str, int], ...] = (("1 h", 1), ("24 h", 24), ("7 days", 168), ("30 days", 720))
#: the example DAG that reads the HL7 v2 archive (its ``archive_root`` param matters before a first run)
ARCHIVE_DAG = "hl7_archive_intake"
#: what each state means, under the channel table (the identity is tested in tests/plugins)
CHANNEL_LEGEND: tuple[tuple[str, str], ...] = (
    ("received", "every input first seen in the period: = filtered + queued + processed + delivered + "
                 "quarantined + failed (each input is counted once, in the state it is in now)"),
    ("filtered", "a filter rule matched (expected traffic without text, such as ADT); recorded, not processed"),
    ("queued", "staged, waiting for the pipeline (status received)"),
    ("processed", "result saved (intent, PHI, insurance fields); not written back: write-back is off for it "
                  "or has not reached it yet"),
    ("delivered", "result written back to the FHIR server, by whichever run's write-back task did it"),
    ("quarantined", "will not be processed without a fix: rejected at staging (unparseable, no text) or "
                    "quarantined by the pipeline or the write-back; see the runs' quarantine lists"),
    ("failed", "the last attempt failed for a passing reason; retried by the next processing run"),
    ("MLLP listener", "for a source an MLLP listener feeds: up (it beat within the watchdog's listener_down_s, "
                      "180 s by default), down (no beat since, and it did not stop cleanly) or stopped"),
)
#: operator class names -> the quarantine ``stage`` they record (``meta.stage``; none at staging)
_TASK_ROLES: dict[str, str | None] = {
    "StageHl7ArchiveOperator": None, "StageFhirCommunicationsOperator": None,
    "ProcessMessagesOperator": "pipeline", "FhirWriteBackOperator": "writeback",
}
_TOP = ' target="_top"'  # the page runs in an iframe inside Airflow's UI: open Airflow pages there

_STYLE = """
body{font-family:system-ui,sans-serif;margin:16px;color:#111;background:#fff;max-width:1400px}
h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:20px 0 8px} h3{font-size:14px;margin:12px 0 4px}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-bottom:8px}
label{display:flex;flex-direction:column;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:20px}
.grid{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
td,th{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600;border-top:2px solid #999}
.empty{color:#666;font-size:13px}
.note,dl.legend{color:#444;font-size:12px}
dl.legend dt{font-weight:600;float:left;clear:left;width:90px} dl.legend dd{margin:0 0 2px 96px}
.panel{border:1px solid #e0b252;background:#fffbeb;border-radius:6px;padding:8px 12px;margin:12px 0}
.panel.bad{border-color:#dc2626;background:#fef2f2}
.guide li{margin:4px 0}
code{background:#f3f4f6;padding:0 3px;border-radius:3px}
"""


@dataclass(frozen=True)
class AirflowInfo:
    """What the page could read from Airflow: ``error`` names the failure when it could not
    (the page then says so instead of showing nothing). ``folders`` maps each path the page
    mentions to whether it is a folder on the API server's filesystem."""

    waits: list[Wait] = field(default_factory=list)
    run: RunState | None = None
    dags: list[DagSetup] = field(default_factory=list)
    folders: Mapping[str, bool] = field(default_factory=dict)
    error: str | None = None
    available: bool = True
    #: the example archive DAG's default ``archive_root``, for when Airflow cannot be asked
    archive_default: str | None = None


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        written = escape(value.strftime("%Y-%m-%d %H:%M:%S %Z").strip())
        if value.tzinfo is None:  # no instant to show in another zone
            return written
        # the browser shows it in Airflow's display timezone (theme.TIMES_SCRIPT)
        return f'<time datetime="{value.isoformat()}">{written}</time>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def _listener(row: Mapping[str, Any]) -> str | None:
    """``up (beat 4 s ago)``, ``down (beat 12 min ago)`` or ``stopped``; None for a source no
    MLLP listener feeds."""
    state = row.get("listener")
    if state is None:
        return None
    if state == "stopped":
        return "stopped"
    beat = escape(age(row.get("listener_beat_age_s")))
    return f'<span data-listener="{escape(state)}">{escape(state)}</span> (beat {beat} ago)'


def age(seconds: float | None) -> str:
    """A duration as a person says it: ``45 s``, ``12 min``, ``3 h 5 min``, ``2 d 4 h``."""
    if seconds is None:
        return "–"
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def table(rows: Sequence[Mapping[str, Any]], cols: Sequence[tuple[str, str]], *, cls: str = "",
          foot: Mapping[str, Any] | None = None, row_key: str | None = None, right: Sequence[str] = ()) -> str:
    """``cols`` are ``(key, heading)``; numbers, and the columns in ``right``, are
    right-aligned. Keys starting with ``_`` hold markup built (and escaped) by the caller,
    such as links. Every cell carries its column's key (``data-col``), every row the value
    of ``row_key`` (``data-row``), so tests and scripts read figures without depending on
    the layout."""
    if not rows:
        return '<p class="empty">none</p>'

    def cells(row: Mapping[str, Any]) -> str:
        out = []
        for key, _ in cols:
            value = row.get(key)
            col = f' data-col="{escape(key.lstrip("_"))}"'
            if key.startswith("_"):
                align = ' class="n"' if key in right else ""
                out.append(f"<td{align}{col}>{value if value is not None else '–'}</td>")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.append(f'<td class="n"{col}>{_fmt(value)}</td>')
            else:
                out.append(f"<td{col}>{_fmt(value)}</td>")
        return "".join(out)

    head = "".join(f'<th class="n">{escape(h)}</th>' if k in right or _numeric(rows, k) else f"<th>{escape(h)}</th>"
                   for k, h in cols)
    body = "".join((f'<tr data-row="{escape(str(row.get(row_key)))}">' if row_key else "<tr>") + cells(row) + "</tr>"
                   for row in rows)
    tfoot = f'<tfoot><tr data-row="total">{cells(foot)}</tr></tfoot>' if foot is not None else ""
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{tfoot}</table>'


def _numeric(rows: Sequence[Mapping[str, Any]], key: str) -> bool:
    return any(isinstance(r.get(key), int | float) and not isinstance(r.get(key), bool) for r in rows)


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style>{theme.HEAD}</head><body>{body}</body></html>")


def _card(label: str, value: Any, test_id: str, hint: str = "") -> str:
    title = f' title="{escape(hint)}"' if hint else ""
    return f'<div class="card" data-figure="{test_id}"{title}><b>{_fmt(value)}</b>{escape(label)}</div>'


def _pairs(rows: Iterable[Mapping[str, Any]], key: str = "label", value: str = "n") -> list[tuple[str, float]]:
    return [(str(r[key]), float(r[value])) for r in rows]


def _link(href: str, text: str, *, top: bool = False) -> str:
    return f'<a href="{escape(href)}"{_TOP if top else ""}>{escape(text)}</a>'


def _run_href(dag_id: Any, run_id: Any, schema: str) -> str:
    return "run?" + urlencode({"dag_id": str(dag_id), "run_id": str(run_id), "schema": schema})


def _message_href(message_id: Any, schema: str, dag_id: str | None = None) -> str:
    query = {"id": str(message_id), "schema": schema, **({"dag_id": dag_id} if dag_id else {})}
    return "message?" + urlencode(query)


def console_nav(schema: str, dag_id: str | None, *, current: str = "") -> str:
    """Links between the console's pages (dashboard, message browser, audit) with the chosen
    store and DAG; the refresh script of a page that refreshes itself reports in its span."""
    keep = urlencode({k: v for k, v in (("dag_id", dag_id or ""), ("schema", schema)) if v})
    links = [("dashboard", f"./?{keep}"), ("messages", f"messages?{keep}"), ("audit", f"audit?{keep}")]
    parts = [f"<b>{escape(name)}</b>" if name == current else _link(href, name) for name, href in links]
    return (f'<nav class="console">{" · ".join(parts)}'
            ' <span class="refresh" data-refresh-status></span></nav>')


# -- shared panels -----------------------------------------------------------------------------


def waiting_panel(info: AirflowInfo, schema: str, *, run_links: bool = True) -> str:
    """Tasks of running DAG runs that wait: what for (the archive path, and whether that
    folder exists where the API server runs), since when and until when. An archive
    sensor's run waits up to its timeout (6 h in ``hl7_archive_intake``) and is then
    skipped: without this panel the page would show nothing at all meanwhile."""
    if info.error:
        root = info.archive_default
        exists = info.folders.get(root) if root else None
        fallback = ("" if root is None or exists is None else
                    f" <code>{ARCHIVE_DAG}</code> waits for day folders under its <code>archive_root</code>; the "
                    f"default, <code>{escape(root)}</code>, <b>{'exists' if exists else 'does not exist'}</b> on "
                    "the API server's filesystem.")
        return (f'<div class="panel" data-panel="airflow-error"><b>Task states could not be read from Airflow</b> '
                f'({escape(info.error)}): runs that wait for input are not shown here; the DAG runs in '
                f"Airflow's own UI show them.{fallback}</div>")
    if not info.waits:
        return ""
    items = []
    for w in info.waits:
        what = _wait_subject(w, info.folders)
        run = (f' run {_link(_run_href(w.dag_id, w.run_id, schema), w.run_id)}' if run_links else "")
        task = _link(airflow_task_url(w.dag_id, w.run_id, w.task_id, w.map_index), w.task_id, top=True)
        until = f"; gives up at {_fmt(w.until)}, then the run's staging is skipped" if w.until else ""
        since = f"since {_fmt(w.since)}" if w.since else "since its start"
        items.append(f'<li data-wait="{escape(w.dag_id)}"><b>{escape(w.dag_id)}</b>{run}: task {task} '
                     f'is waiting ({escape(_state_words(w.state))}) {since}{until}. {what}</li>')
    return (f'<div class="panel" data-panel="waiting"><b>Waiting for input ({len(info.waits)})</b>'
            f'<ul>{"".join(items)}</ul></div>')


def _wait_subject(w: Wait, folders: Mapping[str, bool]) -> str:
    root = w.archive_root
    if root is None:
        return f"Operator {escape(w.operator or 'unknown')}."
    days = w.day_folders()
    where = ", ".join(f"<code>{escape(d)}</code>" for d in days) or f"<code>{escape(root)}</code>"
    exists = folders.get(root)
    state = ("" if exists is None else
             f' The archive root <code>{escape(root)}</code> <b>{"exists" if exists else "does not exist"}</b>'
             f" on the API server's filesystem" + ("" if exists else
             ": set the DAG's <code>archive_root</code> param to your archive (or mount it there)") + ".")
    return f"It waits for archive files in {where}.{state}"


def _state_words(state: str | None) -> str:
    return {"deferred": "deferred to the triggerer", "up_for_reschedule": "between checks",
            "running": "checking"}.get(state or "", state or "unknown state")


# -- dashboard ----------------------------------------------------------------------------------


def _filter_form(
    board: Dashboard, dags: Sequence[str], schemas: Sequence[str], schema: str, asked: Mapping[str, str]
) -> str:
    """``asked`` are the period values of the request: an empty "to" means "now" and an
    empty "from" the last ``hours``, so the form never truncates the period to a minute."""
    f = board.filters
    dag_opts = ['<option value="">all DAGs</option>'] + [
        f'<option value="{escape(d)}"{" selected" if d == f.dag_id else ""}>{escape(d)}</option>' for d in dags]
    schema_sel = ""
    if len(schemas) > 1:
        opts = "".join(f'<option{" selected" if s == schema else ""}>{escape(s)}</option>' for s in schemas)
        schema_sel = f'<label>store<select name="schema">{opts}</select></label>'
    hours = f'<input type="hidden" name="hours" value="{escape(asked["hours"])}">' if asked.get("hours") else ""
    quick = " · ".join(
        f'<a href="?{escape(urlencode({k: v for k, v in (("hours", h), ("dag_id", f.dag_id or ""), ("schema", schema)) if v}))}">'
        f"{escape(name)}</a>" for name, h in QUICK_PERIODS)
    return (f'<form method="get">{schema_sel}<label>DAG<select name="dag_id">{"".join(dag_opts)}</select></label>'
            f'<label>from (UTC)<input type="datetime-local" name="start" value="{escape(asked.get("start", ""))}"></label>'
            f'<label>to (UTC, empty = now)<input type="datetime-local" name="end" value="{escape(asked.get("end", ""))}">'
            f'</label>{hours}<button type="submit">Show</button></form><p class="note">last {quick}</p>')


def channel_section(board: Dashboard) -> str:
    """One row per source and their sum, the cards above repeating that sum, and the legend
    that says what each column is (so "quarantined" means the same in the card and the row)."""
    t = board.totals
    cards = "".join([
        _card("received", t["received"], "received"),
        _card("filtered", t["filtered"], "filtered"),
        _card("queued", t["queued"], "queued"),
        _card("processed, not written back", t["processed"], "processed"),
        _card("delivered (written back)", t["delivered"], "delivered"),
        _card("quarantined", t["quarantined"], "quarantined",
              f"{t['rejected_at_staging']} of them rejected at staging"),
        _card("failed (will retry)", t["failed"], "failed"),
        _card("oldest queued", age(t["oldest_queued_s"]), "oldest-queued"),
    ])
    rows = [{**r, "_oldest": escape(age(r["oldest_queued_s"])) if r["oldest_queued_s"] is not None else None,
             "_listener": _listener(r)} for r in board.channels]
    foot = {**t, "source": "all sources", "_oldest": escape(age(t["oldest_queued_s"])) if t["oldest_queued_s"] else None}
    cols = [("source", "source"), ("received", "received"), ("filtered", "filtered"), ("queued", "queued"),
            ("processed", "processed"), ("delivered", "delivered"), ("quarantined", "quarantined"),
            ("rejected_at_staging", "of which rejected at staging"), ("failed", "failed"),
            ("last_received_at", "last message"), ("_oldest", "oldest queued"), ("_listener", "MLLP listener")]
    legend = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in CHANNEL_LEGEND)
    backlog = ""
    if board.backlog:
        parts = [f"{escape(str(r['source']))}: {int(r['queued']):,} queued"
                 + (f" (oldest {age(r['oldest_queued_s'])})" if r["oldest_queued_s"] is not None else "")
                 + (f", {int(r['failed']):,} failed" if int(r["failed"]) else "") for r in board.backlog]
        backlog = (f'<p class="note" data-note="backlog">Also still waiting, received before this period: '
                   f'{"; ".join(parts)}.</p>')
    return "".join([
        "<h2>Channels: inputs received in the period, and where they are now</h2>",
        f'<div class="cards">{cards}</div>',
        table(rows, cols, cls="channels", foot=foot, row_key="source") if rows
        else '<p class="empty">no input received in this period</p>',
        backlog,
        f'<dl class="legend">{legend}</dl>',
        '<p class="note">Rows of every pipeline version count (a message re-staged under a new model version '
        "counts once per version); <code>intakeflow status</code> counts one version. FHIR resources a stage "
        "skips by type or status are not stored: each run's page shows them.</p>",
    ])


def dashboard_page(
    board: Dashboard, *, dags: Sequence[str], schemas: Sequence[str], schema: str,
    asked: Mapping[str, str] | None = None, airflow: AirflowInfo | None = None, watchdog: str = "",
) -> str:
    """``watchdog``: the watchdog panel's markup (``monitoring.watchdog.panel``), above the channels."""
    t = board.totals
    share = t.get("needs_review_share")
    bucket = _bucket_name(board)
    results = "".join([
        _card("results saved", t["results"], "results"),
        _card("results per hour (period mean)", float(t["results_per_hour"]), "per-hour"),
        _card(f"results in the busiest {bucket}", t["peak_per_bucket"], "peak"),
        _card("needs review", None if share is None else f"{share:.1%}", "needs-review"),
        _card("PHI spans", t["phi_spans"], "phi"),
        _card("insurance fields", t["insurance_fields"], "insurance"),
        _card("fallback calls", t["fallback_calls"], "fallback-calls"),
        _card("fallback cost (USD)", f"{float(t['fallback_usd']):.4f}", "fallback-usd"),
    ])
    runs = [{**r, "_run": _link(_run_href(r["dag_id"], r["run_id"], schema), str(r["run_id"])),
             "_airflow": _link(airflow_run_url(str(r["dag_id"]), str(r["run_id"])), "in Airflow", top=True)}
            for r in board.runs]
    latency = [{**r, "label": r["stage"]} for r in board.latency]
    body = "".join([
        console_nav(schema, board.filters.dag_id, current="dashboard"),
        "<h1>intakeflow monitoring</h1>",
        _filter_form(board, dags, schemas, schema, asked or {}),
        f'<p class="note">{_fmt(board.filters.start)} to {_fmt(board.filters.end)}, '
        f'{escape(board.filters.dag_id or "all DAGs")}, store {escape(schema)}</p>',
        waiting_panel(airflow or AirflowInfo(available=False), schema),
        watchdog,
        channel_section(board),
        timeline_chart(board),
        "<h2>Results saved in the period</h2>",
        '<p class="note">Pipeline results saved by runs in the period (processed or since written back), '
        "whenever their input arrived.</p>",
        f'<div class="cards">{results}</div>',
        '<h2>Intents and review</h2><div class="grid">',
        hbar(_pairs(board.intents), title="Intent mix"),
        hbar(_pairs(board.intents, value="needs_review"), title="Needs review by intent"),
        "</div><h2>PHI and insurance</h2><div class=\"grid\">",
        hbar(_pairs(board.phi), title="PHI spans by type"),
        hbar(_pairs(board.insurance), title="Insurance fields found"),
        "</div><h2>Quarantine and latency</h2><div class=\"grid\">",
        hbar(_pairs(board.quarantine), title="Quarantined by reason code"),
        hbar(_pairs(latency, value="mean_ms"), title="Mean latency per stage", unit=" ms"),
        table(latency, [("stage", "stage"), ("n", "messages"), ("mean_ms", "mean (ms)"), ("p50_ms", "p50 (ms)"),
                        ("p95_ms", "p95 (ms)")], cls="latency"),
        "</div><h2>Runs</h2>",
        table(runs, [("_run", "run"), ("dag_id", "DAG"), ("processed", "processed"), ("quarantined", "quarantined"),
                     ("failed", "failed"), ("first_at", "first result"), ("last_at", "last result"),
                     ("_airflow", "Airflow")], cls="runs"),
    ])
    return _page("intakeflow monitoring", body)


def timeline_chart(board: Dashboard) -> str:
    """Every bucket of the period, empty ones as gaps: a bar's place on the axis is its time."""
    if not board.timeline:
        return columns([], [], title=f"Messages per {_bucket_name(board)}")
    by_time = {r["t"]: r for r in board.timeline}
    times = board.filters.bucket_starts()
    size = board.filters.bucket()
    fmt = "%Y-%m-%d" if size.total_seconds() % 86400 == 0 else "%m-%d %H:%M"
    received = [float(by_time[t]["n_in"]) if t in by_time else 0.0 for t in times]
    saved = [float(by_time[t]["n_out"]) if t in by_time else 0.0 for t in times]
    return columns(times, [("received", received), ("results saved", saved)], step=size, time_format=fmt,
                   title=f"Inputs received and results saved per {_bucket_name(board)}")


# -- first-run guide ---------------------------------------------------------------------------


def guide_page(
    state: StoreState | None, *, schema: str, conn_id: str | None, airflow: AirflowInfo | None = None,
    unreachable: str | None = None,
) -> str:
    """Shown instead of the dashboard while there is nothing to show: no schema yet (no DAG
    has run), a schema older than the page reads, a store that received nothing, or a store
    that cannot be reached (``unreachable`` names the kind of failure, never the DSN)."""
    conn = f"<code>{escape(conn_id or 'intakeflow_postgres')}</code>"
    ident = f"<code>{escape(schema)}</code>"
    if unreachable:
        status = (f"The store database could not be reached through the Airflow connection {conn} "
                  f"({escape(unreachable)}).")
    elif state is None or state.condition == "missing":
        status = (f"The store schema {ident} does not exist yet in the database of connection {conn}: no intakeflow "
                  "DAG has run its <code>migrate_store</code> task.")
    elif state.condition == "outdated":
        status = (f"The store schema {ident} is at migration {state.version}; this page reads migration 4 and later. "
                  "The next run of any intakeflow DAG upgrades it (its <code>migrate_store</code> task).")
    else:
        status = f"The store schema {ident} exists and is empty: nothing has been received yet."
    info = airflow or AirflowInfo(available=False)
    archive = next((d for d in info.dags if d.dag_id == ARCHIVE_DAG), None)
    root = str(archive.params["archive_root"]) if archive and archive.params.get("archive_root") else info.archive_default
    root_note = ""
    if root:
        exists = info.folders.get(root)
        root_note = (f" Its default is <code>{escape(root)}</code>, which "
                     + ("<b>exists</b>" if exists else "<b>does not exist</b>" if exists is False else "may not exist")
                     + " on the API server's filesystem.")
    steps = [
        f"<li><b>The store.</b> An Airflow connection {conn} (type Postgres) to the database for the store; "
        "this page reads it through <code>[intakeflow] monitor_postgres_conn_id</code> and the schemas in "
        "<code>monitor_schemas</code>. The DAGs create the schema themselves.</li>",
        "<li><b>An HL7 v2 archive</b>, for <code>hl7_archive_intake</code>: its <code>archive_root</code> param is "
        "the folder holding <code>YYYY/MM/DD/*.hl7</code> (or <code>.hl7.gz</code>) day folders, as the workers "
        f"and the triggerer see it.{root_note} A run waits up to 6 hours for its day folder, then skips the day: "
        "set <code>archive_root</code> before you unpause the DAG.</li>",
        "<li><b>A FHIR server</b> (optional), for <code>fhir_communication_intake</code> and for write-back: an "
        "Airflow connection <code>intakeflow_fhir</code> (type FHIR). Write-back from the archive DAG also needs "
        "its <code>write_back</code> param set to true.</li>",
    ]
    first = [
        "<li><b>Run <code>hl7_archive_intake</code> first</b>: trigger it by hand with <code>archive_root</code> "
        "set, for a logical date whose data interval covers a day your archive has. Its first task creates the "
        "store schema; this page fills in as soon as messages are staged.</li>",
        "<li>Or <code>fhir_communication_intake</code> if your FHIR server holds Communications (hourly windows "
        "of <code>_lastUpdated</code>).</li>",
        "<li>Without Airflow: <code>intakeflow stage hl7 PATH --dsn DSN</code>, then <code>intakeflow process "
        "--dsn DSN</code>; <code>intakeflow status</code> prints the same counts as this page. "
        "<code>make demo</code> runs both DAGs on synthetic data.</li>",
    ]
    condition = "unreachable" if unreachable else state.condition if state else "missing"
    dags = ""
    if info.dags:
        rows = [{"_dag": _link(airflow_dag_url(d.dag_id), d.dag_id, top=True),
                 "paused": d.paused,
                 "archive_root": d.params.get("archive_root")} for d in info.dags]
        dags = "<h2>intakeflow DAGs in this Airflow</h2>" + table(
            rows, [("_dag", "DAG"), ("paused", "paused"), ("archive_root", "archive_root (default)")], cls="dags")
    body = "".join([
        "<h1>intakeflow monitoring: nothing to show yet</h1>",
        f'<div class="panel{" bad" if unreachable else ""}" data-panel="first-run" data-store="{escape(condition)}">'
        f"{status}</div>",
        waiting_panel(info, schema),
        '<div class="guide"><h2>1. Configure</h2><ol>', "".join(steps), "</ol>",
        "<h2>2. Run one DAG</h2><ol>", "".join(first), "</ol></div>",
        dags,
    ])
    return _page("intakeflow monitoring: first run", body)


# -- one run -----------------------------------------------------------------------------------


def run_page(detail: RunDetail, *, schema: str, limit: int, airflow: AirflowInfo | None = None) -> str:
    info = airflow or AirflowInfo(available=False)
    tasks = info.run.tasks if info.run else []
    links = (f'<p>{_link("./?" + urlencode({"dag_id": detail.dag_id, "schema": schema}), "← dashboard")} · '
             f'{_link(airflow_run_url(detail.dag_id, detail.run_id), "this run in Airflow (grid, logs)", top=True)}</p>')
    state = f", Airflow state <b>{escape(info.run.state or 'unknown')}</b>" if info.run else ""
    body = "".join([
        links,
        f"<h1>Run {escape(detail.run_id)}</h1><p>DAG {escape(detail.dag_id)}, store {escape(schema)}{state}</p>",
        waiting_panel(info, schema, run_links=False),
        "<h2>Messages of this run</h2>",
        _run_messages(detail),
        "<h2>Tasks</h2>", _task_table(detail, tasks, info),
        "<h2>Figures recorded for the run</h2>", _stats_section(detail, tasks),
        _quarantine_section(detail, schema, limit, tasks),
    ])
    return _page(f"intakeflow run {detail.run_id}", body)


def _run_messages(detail: RunDetail) -> str:
    cols = [("source", "source"), ("staged", "staged by this run"), ("rejected_at_staging", "rejected at staging"),
            ("still_queued", "of those, still queued"),
            ("settled_by_other_runs", "of those, processed by another run"), ("processed", "processed by this run"),
            ("written_back_since", "of those, written back since (by any run)"),
            ("quarantined", "quarantined by this run"), ("failed", "failed in this run (will retry)")]
    write_back = ((detail.stats or {}).get("counts") or {}).get("write_back")
    if isinstance(write_back, Mapping) and "delivered" in write_back:
        mine = int(write_back["delivered"])
        since = sum(int(row.get("written_back_since") or 0) for row in detail.messages)
        # runs of one DAG overlap (a backfill): another run's write-back task may have taken this
        # run's results before its own ran, which then finds nothing; its 0 is right, so say who did
        others = (f" At least <b>{since - mine:,}</b> of the messages this run processed were written back by "
                  "another run's write-back task, which ran first." if since > mine else "")
        own = (f'<p data-note="written-back">Written back by this run\'s write-back task: '
               f'<b>{mine:,}</b> messages (it takes every processed message waiting '
               f"for write-back, not only this run's).{others}</p>")
    elif detail.stats is not None:
        own = ('<p data-note="written-back">This run wrote nothing back: its write-back task was skipped '
               "(<code>write_back</code> param false) or is not part of the DAG.</p>")
    else:
        own = ""
    return "".join([
        table(detail.messages, cols, cls="run-messages", row_key="source"), own,
        '<p class="note">"Written back since" is the messages\' state now: the store does not record which run '
        "wrote a message back (another DAG's write-back task may have). This run's own write-back count is "
        "the one above, from its recorded figures.</p>",
    ])


def _task_table(detail: RunDetail, tasks: Sequence[TaskRun], info: AirflowInfo) -> str:
    if info.error:
        return (f'<p class="empty">Task states could not be read from Airflow ({escape(info.error)}): '
                f'{_link(airflow_run_url(detail.dag_id, detail.run_id), "open the run in Airflow", top=True)}.</p>')
    if not info.available:
        grid = _link(airflow_run_url(detail.dag_id, detail.run_id), "Task instances in Airflow", top=True)
        return f'<p class="empty">{grid}</p>'
    if not tasks:
        return '<p class="empty">Airflow has no task instances for this run (deleted, or not started yet).</p>'
    rows = []
    for t in tasks:
        name = t.task_id if t.map_index < 0 else f"{t.task_id} [{t.map_index}]"
        seconds = (t.end - t.start).total_seconds() if t.start and t.end else None
        rows.append({"_task": _link(airflow_task_url(detail.dag_id, detail.run_id, t.task_id, t.map_index), name, top=True),
                     "state": t.state or "none", "try_number": t.try_number, "start": t.start, "end": t.end,
                     "_duration": escape(age(seconds)) if seconds is not None else None})
    return ('<p class="note">A task opens its instance in Airflow, on its log.</p>'
            + table(rows, [("_task", "task"), ("state", "state"), ("try_number", "try"), ("start", "started"),
                           ("end", "ended"), ("_duration", "duration")], cls="tasks", right=["_duration"]))


def _stats_section(detail: RunDetail, tasks: Sequence[TaskRun]) -> str:
    stats = detail.stats or {}
    counts = stats.get("counts") or {}
    if not counts:
        return ('<p class="empty">None yet: the <code>record_run</code> task stores them when the run ends '
                "(it has not run, or the run was cut short).</p>")
    parts = []
    for stage in sorted(counts, key=lambda s: (list(labels.STAGE_TITLES).index(s) if s in labels.STAGE_TITLES else 99, s)):
        values = counts[stage]
        if not isinstance(values, Mapping):
            continue
        rows = [{"figure": label, "_value": f'<span data-metric="{escape(key)}">{escape(value)}</span>'}
                for label, value, key in labels.figure_rows(stage, values)]
        heading = labels.STAGE_TITLES.get(stage, labels.readable(stage))
        if not rows and not values:
            parts.append(f'<h3>{escape(heading)}</h3><p class="empty">did not run (skipped)</p>')
            continue
        grid = [table(rows, [("figure", "figure"), ("_value", "value")], cls=f"stats stats-{escape(stage)}",
                      right=["_value"])]
        for title, pairs in labels.breakdowns(values):
            pair_rows = [{"label": k, "n": int(v) if float(v).is_integer() else v,
                          "title": title_of(k) if title.startswith("Errors") else None} for k, v in pairs]
            cols = [("label", "kind"), ("n", "count")] + ([("title", "meaning")] if title.startswith("Errors") else [])
            grid.append(f"<div><h3>{escape(title)}</h3>{table(pair_rows, cols, cls='breakdown')}</div>")
        parts.append(f'<h3>{escape(heading)}</h3><div class="grid">{"".join(grid)}</div>')
    timings = stats.get("timings_ms") or {}
    if timings:
        timing_rows: list[dict[str, Any]] = [{"step": k, "seconds": round(float(v) / 1000, 2)}
                                             for k, v in sorted(timings.items())]
        parts.append("<h3>Pipeline time by step (summed over the run's messages)</h3>"
                     + table(timing_rows, [("step", "step"), ("seconds", "seconds")], cls="timings"))
    return "".join(parts)


def _task_for(stage: str | None, tasks: Sequence[TaskRun], detail: RunDetail) -> str | None:
    """The Airflow page of the task that recorded a quarantine entry of ``stage``, when the
    run has exactly one task of that role (a mapped staging task: its list of instances)."""
    found = {(t.task_id) for t in tasks if t.operator in _TASK_ROLES and _TASK_ROLES[t.operator] == stage}
    if len(found) != 1:
        return None
    (task_id,) = found
    mapped = any(t.task_id == task_id and t.map_index >= 0 for t in tasks)
    return airflow_task_url(detail.dag_id, detail.run_id, task_id, None if mapped else -1)


def _quarantine_section(detail: RunDetail, schema: str, limit: int, tasks: Sequence[TaskRun]) -> str:
    shown = len(detail.quarantine)
    more = (f'<p class="note">showing the first {shown} of {detail.quarantine_total}; the list is capped at {limit}</p>'
            if detail.quarantine_total > shown else "")
    rows = []
    for r in detail.quarantine:
        # no stage recorded: rejected at staging when no message row exists, else the claim
        # quarantined it after its attempts ran out (E025), which the processing task does
        stage = r.get("stage") or (None if r.get("message_id") is None else "pipeline")
        task_url = _task_for(stage, tasks, detail)
        where = stage or "staging"
        rows.append({
            **r, "reason_title": title_of(r.get("reason_code")),
            "_message": (_link(_message_href(r["message_id"], schema, detail.dag_id), str(r["message_id"]))
                         if r.get("message_id") is not None else "none (never staged)"),
            "_stage": _link(task_url, where, top=True) if task_url else escape(where),
        })
    return "".join([
        f"<h2>Quarantine ({detail.quarantine_total})</h2>",
        '<p class="note">ids and catalogue reasons only; message text is never shown here '
        "(what to do about a code: <code>intakeflow errors CODE</code>). A message id opens the message's "
        "record; the stage opens the Airflow task that quarantined it.</p>", more,
        table(rows, [("id", "quarantine id"), ("source", "source"), ("source_id", "source id"),
                     ("_message", "message id"), ("_stage", "stage"), ("reason_code", "code"),
                     ("reason_title", "title"), ("reason", "reason"), ("attempts", "attempts"),
                     ("last_seen", "last seen")], cls="quarantine", row_key="id"),
    ])


# -- one message -------------------------------------------------------------------------------

#: what each message status means, on its record
STATUS_WORDS: dict[str, str] = {
    "received": "queued: staged, waiting for the pipeline",
    "processed": "processed: result saved, not written back",
    "delivered": "delivered: written back to the FHIR server",
    "quarantined": "quarantined: will not be processed without a fix",
    "failed": "failed: will be retried by the next processing run",
}


def message_page(record: MessageRecord, *, schema: str, dag_id: str | None = None, head: str = "",
                 sections: Sequence[str] = (), tail: str = "", wrap: Callable[[str, str], str] | None = None) -> str:
    """A message's record: identifiers, states, times, runs and figures; never its inbound
    text, its patient reference or its header fields. The message browser
    (``browser_html``) adds ``head`` (navigation, notices), ``sections`` after the record
    (history, redacted text, the reprocess form) and ``tail``, and ``wrap`` builds the page."""
    m = record.row
    code = m.get("reason_code")

    def run_link(dag: Any, run: Any) -> str | None:
        if not run:
            return None
        if not dag:
            return escape(f"{run} (outside Airflow)")
        return (f"{_link(_run_href(dag, run, schema), f'{dag} / {run}')} "
                f"({_link(airflow_run_url(str(dag), str(run)), 'in Airflow', top=True)})")

    fields: list[tuple[str, Any, bool]] = [
        ("source", m["source"], False), ("source id", m["source_id"], False),
        ("pipeline version", m["pipeline_version"], False),
        ("status", STATUS_WORDS.get(str(m["status"]), m["status"]), False),
        ("attempts", m["attempts"], False),
        ("reason", f"{code}: {title_of(code)}" if code else None, False),
        ("channel", m.get("channel"), False),
        ("received at the source", m.get("received_at"), False), ("staged at", m["created_at"], False),
        ("staged by", run_link(m.get("dag_id"), m.get("run_id")), True),
        ("result saved at", m.get("processed_at"), False),
        ("result saved by", run_link(m.get("processed_dag_id"), m.get("processed_run_id")), True),
        ("written back at", m.get("delivered_at"), False),
        ("intent", m.get("intent"), False), ("intent confidence", m.get("confidence"), False),
        ("needs review", m.get("needs_review"), False), ("routing queue", m.get("queue"), False),
        ("fallback calls", m.get("fallback_calls"), False),
        ("fallback cost (USD)", f"{float(m.get('fallback_usd') or 0):.4f}", False),
        ("reprocessed", m.get("reprocess_count"), False),
        ("copied from message", _link(_message_href(m["reprocessed_from"], schema, dag_id), str(m["reprocessed_from"]))
         if m.get("reprocessed_from") else None, True),
        ("quarantine entry", m.get("quarantine_id"), False),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{(v if v is not None else '–') if raw else _fmt(v)}</td></tr>"
                   for k, v, raw in fields)
    timings = [{"stage": k, "ms": float(v)} for k, v in sorted((m.get("timings_ms") or {}).items())]
    back = ("./?" + urlencode({"dag_id": dag_id, "schema": schema})) if dag_id else "./?" + urlencode({"schema": schema})
    body = "".join([
        head or f"<p>{_link(back, '← dashboard')}</p>",
        f"<h1>Message {int(m['id'])}</h1>",
        '<p class="note">Identifiers, states, figures' + (" and the redacted text" if sections else "")
        + ": the inbound text, the patient reference and header fields are never shown.</p>",
        f'<table class="record">{rows}</table>',
        *sections,
        '<div class="grid"><div><h2>PHI spans by type</h2>',
        table(record.phi, [("label", "type"), ("n", "spans")], cls="phi"),
        "</div><div><h2>Insurance fields by type</h2>",
        table(record.insurance, [("label", "field"), ("n", "found")], cls="insurance"),
        "</div><div><h2>Pipeline time (ms)</h2>",
        table(timings, [("stage", "step"), ("ms", "ms")], cls="timings"),
        "</div></div><h2>Write-back per FHIR resource</h2>",
        table(record.writes, [("role", "role"), ("resource_type", "resource"), ("fhir_id", "FHIR id"),
                              ("version_id", "version"), ("status", "status"), ("reason_code", "code"),
                              ("updated_at", "at")], cls="writes"),
        tail,
    ])
    return (wrap or _page)(f"intakeflow message {int(m['id'])}", body)


def _bucket_name(board: Dashboard) -> str:
    seconds = int(board.filters.bucket().total_seconds())
    unit, size = next((u, n) for u, n in (("day", 86400), ("hour", 3600), ("minute", 60)) if seconds % n == 0)
    count = seconds // size
    return unit if count == 1 else f"{count} {unit}s"
