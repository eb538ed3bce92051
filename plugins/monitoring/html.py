"""HTML of the monitoring pages. Plain server-rendered markup with inline SVG charts; all
values are escaped and none of them is message text (see ``queries``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from intakeflow.errors import title_of
from intakeflow.plugins.monitoring.charts import columns, hbar
from intakeflow.plugins.monitoring.queries import Dashboard, RunDetail

QUICK_PERIODS: tuple[tuple[str, int], ...] = (("1 h", 1), ("24 h", 24), ("7 days", 168), ("30 days", 720))

_STYLE = """
body{font-family:system-ui,sans-serif;margin:16px;color:#111;background:#fff}
h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:20px 0 8px}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin-bottom:8px}
label{display:flex;flex-direction:column;font-size:12px}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:120px}
.card b{display:block;font-size:20px}
.grid{display:flex;flex-wrap:wrap;gap:16px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}
td,th{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:left}
td.n,th.n{text-align:right}
.empty{color:#666;font-size:13px}
.note{color:#555;font-size:12px}
"""


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return escape(str(value))


def table(rows: Sequence[Mapping[str, Any]], cols: Sequence[tuple[str, str]], *, cls: str = "") -> str:
    """``cols`` are ``(key, heading)``; numbers are right-aligned."""
    if not rows:
        return '<p class="empty">none</p>'
    head = "".join(f"<th>{escape(h)}</th>" for _, h in cols)
    body = []
    for row in rows:
        cells = []
        for key, _ in cols:
            value = row.get(key)
            num = isinstance(value, int | float) and not isinstance(value, bool)
            cells.append(f'<td class="n">{_fmt(value)}</td>' if num else f"<td>{_fmt(value) if key != '_link' else value}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{cls}"><tr>{head}</tr>{"".join(body)}</table>'


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>")


def _card(label: str, value: Any, test_id: str) -> str:
    return f'<div class="card" data-figure="{test_id}"><b>{_fmt(value)}</b>{escape(label)}</div>'


def _pairs(rows: Iterable[Mapping[str, Any]], key: str = "label", value: str = "n") -> list[tuple[str, float]]:
    return [(str(r[key]), float(r[value])) for r in rows]


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


def dashboard_page(
    board: Dashboard, *, dags: Sequence[str], schemas: Sequence[str], schema: str, asked: Mapping[str, str] | None = None
) -> str:
    t = board.totals
    share = t.get("needs_review_share")
    cards = "".join([
        _card("messages in", t["staged"] + t["rejected"], "in"),
        _card("processed", t["processed"], "processed"),
        _card("processed per hour (period mean)", float(t["per_hour"]), "per-hour"),
        _card(f"processed in the busiest {_bucket_name(board)}", t["peak_per_bucket"], "peak"),
        _card("needs review", None if share is None else f"{share:.1%}", "needs-review"),
        _card("PHI spans", t["phi_spans"], "phi"),
        _card("insurance fields", t["insurance_fields"], "insurance"),
        _card("fallback calls", t["fallback_calls"], "fallback-calls"),
        _card("fallback spend (USD)", f"{float(t['fallback_usd']):.4f}", "fallback-usd"),
        _card("quarantined", t["quarantined"] + t["rejected"], "quarantined"),
        _card("failed (will retry)", t["failed"], "failed"),
    ])
    times = [r["t"] for r in board.timeline]
    timeline = columns(times, [("in", [float(r["n_in"]) for r in board.timeline]),
                               ("processed", [float(r["n_out"]) for r in board.timeline])],
                       title=f"Messages per {_bucket_name(board)}")
    runs = [{**r, "_link": _run_link(r["dag_id"], r["run_id"], schema)} for r in board.runs]
    latency = [{**r, "label": r["stage"]} for r in board.latency]
    body = "".join([
        "<h1>intakeflow monitoring</h1>",
        _filter_form(board, dags, schemas, schema, asked or {}),
        f'<p class="note">{_fmt(board.filters.start)} to {_fmt(board.filters.end)}, '
        f'{escape(board.filters.dag_id or "all DAGs")}, store {escape(schema)}</p>',
        f'<div class="cards">{cards}</div>',
        timeline,
        '<h2>By source</h2><div class="grid">',
        table(board.by_source, [("source", "source"), ("staged", "staged"), ("rejected", "rejected at source"),
                                ("processed", "processed"), ("delivered", "delivered"),
                                ("quarantined", "quarantined"), ("failed", "failed")], cls="by-source"),
        hbar(_pairs(board.by_source, "source", "processed"), title="Processed by source"),
        "</div><h2>Intents and review</h2><div class=\"grid\">",
        hbar(_pairs(board.intents), title="Intent mix"),
        hbar(_pairs(board.intents, value="needs_review"), title="Needs review by intent"),
        "</div><h2>PHI and insurance</h2><div class=\"grid\">",
        hbar(_pairs(board.phi), title="PHI spans by type"),
        hbar(_pairs(board.insurance), title="Insurance fields found"),
        "</div><h2>Quarantine and latency</h2><div class=\"grid\">",
        hbar(_pairs(board.quarantine), title="Quarantined by reason code"),
        hbar(_pairs(latency, value="mean_ms"), title="Mean latency per stage", unit=" ms"),
        table(latency, [("stage", "stage"), ("n", "messages"), ("mean_ms", "mean ms"), ("p50_ms", "p50 ms"),
                        ("p95_ms", "p95 ms")], cls="latency"),
        "</div><h2>Runs</h2>",
        table(runs, [("_link", "run"), ("dag_id", "DAG"), ("processed", "processed"), ("quarantined", "quarantined"),
                     ("failed", "failed"), ("first_at", "first result"), ("last_at", "last result")], cls="runs"),
    ])
    return _page("intakeflow monitoring", body)


def run_page(detail: RunDetail, *, schema: str, limit: int) -> str:
    stats = detail.stats or {}
    counts = stats.get("counts") or {}
    stage_rows = [{"stage": name, **{k: v for k, v in (vals or {}).items() if isinstance(v, int | float)}}
                  for name, vals in counts.items() if isinstance(vals, Mapping)]
    keys = sorted({k for r in stage_rows for k in r if k != "stage"})
    shown = len(detail.quarantine)
    more = (f'<p class="note">showing the first {shown} of {detail.quarantine_total}; the list is capped at {limit}</p>'
            if detail.quarantine_total > shown else "")
    quarantine = [{**r, "reason_title": title_of(r.get("reason_code"))} for r in detail.quarantine]
    body = "".join([
        f'<p><a href="./?{escape(urlencode({"dag_id": detail.dag_id, "schema": schema}))}">← dashboard</a></p>',
        f"<h1>Run {escape(detail.run_id)}</h1><p>DAG {escape(detail.dag_id)}, store {escape(schema)}</p>",
        "<h2>Messages of this run</h2>",
        table(detail.statuses, [("source", "source"), ("status", "status"), ("n", "messages"),
                                ("staged_here", "staged by this run"), ("processed_here", "processed by this run")],
              cls="statuses"),
        "<h2>Task counts recorded for the run</h2>",
        table(stage_rows, [("stage", "stage"), *((k, k) for k in keys)], cls="stats") if stage_rows
        else '<p class="empty">no run statistics recorded (record_run did not run)</p>',
        f"<h2>Quarantine ({detail.quarantine_total})</h2>",
        '<p class="note">ids and catalogue reasons only; message text is never shown here '
        "(what to do about a code: <code>intakeflow errors CODE</code>)</p>", more,
        table(quarantine, [("id", "quarantine id"), ("source", "source"), ("source_id", "source id"),
                           ("message_id", "message id"), ("stage", "stage"), ("reason_code", "code"),
                           ("reason_title", "title"), ("reason", "reason"), ("attempts", "attempts"),
                           ("last_seen", "last seen")],
              cls="quarantine"),
    ])
    return _page(f"intakeflow run {detail.run_id}", body)


def _run_link(dag_id: Any, run_id: Any, schema: str) -> str:
    query = urlencode({"dag_id": str(dag_id), "run_id": str(run_id), "schema": schema})
    return f'<a href="run?{escape(query)}">{escape(str(run_id))}</a>'


def _bucket_name(board: Dashboard) -> str:
    seconds = int(board.filters.bucket().total_seconds())
    unit, size = next((u, n) for u, n in (("day", 86400), ("hour", 3600), ("minute", 60)) if seconds % n == 0)
    count = seconds // size
    return unit if count == 1 else f"{count} {unit}s"
