"""HTML of the message browser: the search page, the history sections of a message's page
(``html.message_page``), the reprocess form, the audit page, and the script that refreshes
a page while it is open.

Every value is escaped. Of a message's text only the redacted text (the pipeline's output)
is ever shown, on its own page; search results and the audit list show ids, sources,
states, codes, times, user names and the reasons users typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from intakeflow.errors import title_of
from intakeflow.plugins.monitoring import html
from intakeflow.plugins.monitoring.airflow_view import RunState, airflow_run_url, airflow_task_url
from intakeflow.plugins.monitoring.browser_queries import KINDS, STATES, AuditPage, History, SearchResult
from intakeflow.plugins.monitoring.queries import MessageRecord
from intakeflow.store.pg_audit import MAX_REASON

#: seconds between refreshes of an open page (``?refresh=`` changes it, 0 turns it off)
REFRESH_S = 15
MIN_REFRESH_S = 2
#: operator class -> the step of a message's history its task instances take
TASK_ROLES: dict[str, str] = {
    "StageHl7ArchiveOperator": "staged", "StageFhirCommunicationsOperator": "staged",
    "ProcessMessagesOperator": "processed", "FhirWriteBackOperator": "delivered",
}

_STYLE = """
nav.console{font-size:13px;margin:0 0 8px} nav.console a{margin-right:4px}
.refresh{color:var(--if-muted,#666);font-size:12px;margin-left:8px}
.states a{margin-right:10px;font-size:13px} .states a.on{font-weight:700}
pre.redacted{white-space:pre-wrap;background:var(--if-subtle,#f6f7f9);border:1px solid var(--if-border,#e5e5e5);
  border-radius:6px;padding:8px 12px;max-width:900px;font-size:13px;font-family:var(--if-mono,monospace)}
form.action{flex-direction:column;align-items:flex-start;max-width:640px}
form.action textarea{width:600px;max-width:100%;min-height:48px;font:inherit;color:var(--if-fg,inherit);
  background:var(--if-bg,#fff);border:1px solid var(--if-border,#ccc);border-radius:4px;padding:6px 10px}
.notice{border:1px solid var(--if-strong,#16a34a);background:var(--if-subtle,#f0fdf4);border-radius:6px;
  padding:8px 12px;margin:12px 0}
.pages a,.pages span{margin-right:10px;font-size:13px}
"""

#: re-fetches the page every ``data-refresh`` seconds while it is visible and swaps in the
#: elements marked ``data-live``; stops while the tab is hidden or a form field has focus
#: (what a user is typing is never replaced), and refreshes at once when the tab shows again
_SCRIPT = """
(function () {
  var body = document.body, every = parseInt(body.getAttribute('data-refresh') || '0', 10) * 1000;
  var out = document.querySelector('[data-refresh-status]'), timer = null;
  if (!every || !window.fetch || !window.DOMParser) { if (out) out.textContent = ''; return; }
  function say(text) { if (out) out.textContent = text; }
  function typing() {
    var a = document.activeElement;
    return a && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName);
  }
  function refresh() {
    if (document.hidden || typing()) return;
    fetch(window.location.href, {credentials: 'same-origin', headers: {'X-Intakeflow-Refresh': '1'}})
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (text) {
        var doc = new DOMParser().parseFromString(text, 'text/html');
        document.querySelectorAll('[data-live]').forEach(function (el) {
          var fresh = doc.querySelector('[data-live="' + el.getAttribute('data-live') + '"]');
          if (fresh) el.replaceWith(document.importNode(fresh, true));
        });
        if (window.intakeflowLocalTimes) window.intakeflowLocalTimes(document);
        say('updated ' + new Date().toLocaleTimeString());
        body.setAttribute('data-refreshed', String(Date.now()));
      })
      .catch(function (e) { say('refresh failed (' + e.message + '); retrying'); });
  }
  function start() { stop(); timer = window.setInterval(refresh, every); }
  function stop() { if (timer !== null) { window.clearInterval(timer); timer = null; } }
  document.addEventListener('visibilitychange', function () {
    if (document.hidden) { stop(); say('paused while the tab is hidden'); } else { refresh(); start(); }
  });
  say('refreshes every ' + every / 1000 + ' s');
  if (!document.hidden) start();
})();
"""


def _fmt(value: Any) -> str:
    return html._fmt(value)


def _link(href: str, text: str, *, top: bool = False) -> str:
    return html._link(href, text, top=top)


def _q(**params: Any) -> str:
    return urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})


def page(title: str, body: str, *, refresh: int = 0) -> str:
    """``html._page`` with this module's styles and, when ``refresh`` > 0, the refresh script."""
    script = f"<script>{_SCRIPT}</script>" if refresh > 0 else ""
    doc = html._page(title, f"<style>{_STYLE}</style>{body}{script}")
    return doc.replace("<body>", f'<body data-refresh="{int(refresh)}">', 1)


def nav(schema: str, dag_id: str | None, *, current: str = "") -> str:
    return html.console_nav(schema, dag_id, current=current)


def message_href(message_id: Any, schema: str, dag_id: str | None = None) -> str:
    return "message?" + _q(id=message_id, schema=schema, dag_id=dag_id)


def _run_cell(dag: Any, run: Any, schema: str) -> str | None:
    if not run:
        return None
    if not dag:
        return escape(f"{run} (outside Airflow)")
    return (f"{_link('run?' + _q(dag_id=dag, run_id=run, schema=schema), f'{dag} / {run}')} "
            f"({_link(airflow_run_url(str(dag), str(run)), 'in Airflow', top=True)})")


# -- search -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchForm:
    """The search as asked (shown back in the form)."""

    control_id: str = ""
    source: str = ""
    status: str = ""
    code: str = ""
    start: str = ""
    end: str = ""
    dag_id: str = ""
    per_page: int = 50


def search_page(result: SearchResult, form: SearchForm, *, schema: str, schemas: Sequence[str], dags: Sequence[str],
                sources: Sequence[str], refresh: int) -> str:
    def opt(value: str, chosen: str, text: str | None = None) -> str:
        return f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>{escape(text or value)}</option>'

    schema_sel = ""
    if len(schemas) > 1:
        schema_sel = f'<label>store<select name="schema">{"".join(opt(s, schema) for s in schemas)}</select></label>'
    else:
        schema_sel = f'<input type="hidden" name="schema" value="{escape(schema)}">'
    source_list = "".join(f'<option value="{escape(s)}">' for s in sources)
    fields = "".join([
        schema_sel,
        f'<label>control id<input name="control_id" value="{escape(form.control_id)}" placeholder="MSH-10 or source id">'
        "</label>",
        f'<label>source<input name="source" list="sources" value="{escape(form.source)}"></label>'
        f'<datalist id="sources">{source_list}</datalist>',
        f'<label>status<select name="status">{opt("", form.status, "any")}'
        f'{"".join(opt(s, form.status) for s in STATES)}</select></label>',
        f'<label>code or rule<input name="code" value="{escape(form.code)}" placeholder="E022" size="8"></label>',
        f'<label>DAG<select name="dag_id">{opt("", form.dag_id, "all DAGs")}'
        f'{"".join(opt(d, form.dag_id) for d in dags)}</select></label>',
        f'<label>from (UTC)<input type="datetime-local" name="start" value="{escape(form.start)}"></label>',
        f'<label>to (UTC)<input type="datetime-local" name="end" value="{escape(form.end)}"></label>',
        f'<input type="hidden" name="refresh" value="{int(refresh)}">' if refresh != REFRESH_S else "",
        '<button type="submit">Search</button>',
    ])
    asked = {"control_id": form.control_id, "source": form.source, "code": form.code, "start": form.start,
             "end": form.end, "dag_id": form.dag_id, "schema": schema}
    states = [("", "all", sum(result.counts.values()))] + [(s, s, result.counts.get(s, 0)) for s in STATES]
    state_links = "".join(
        f'<a class="{"on" if s == form.status else ""}" data-state="{escape(s or "all")}" '
        f'href="messages?{escape(_q(**asked, status=s))}">{escape(label)} <b>{n:,}</b></a>'
        for s, label, n in states)
    rows = []
    for r in result.rows:
        is_message = r["kind"] == "message"
        rows.append({
            **r,
            # message ids as they are; the other kinds' ids are of other tables
            "_key": r["id"] if is_message else f"{r['kind']}-{r['id']}",
            "_id": (_link(message_href(r["id"], schema, form.dag_id or None), str(r["id"])) if is_message
                    else escape(f"{'quarantine' if r['kind'] == 'rejected' else 'filtered'} #{r['id']}")),
            "kind": KINDS.get(str(r["kind"]), r["kind"]),
            "_staged_by": _run_cell(r.get("dag_id"), r.get("run_id"), schema),
            "code_title": title_of(r["code"]) if r.get("code") and r["kind"] != "filtered" else None,
        })
    shown = (f"{(result.search.page - 1) * result.search.per_page + 1:,}–"
             f"{(result.search.page - 1) * result.search.per_page + len(result.rows):,} of {result.total:,}"
             if result.rows else f"0 of {result.total:,}")
    table = html.table(rows, [
        ("_id", "message"), ("source", "source"), ("source_id", "source id"), ("state", "status"),
        ("code", "code / rule"), ("code_title", "meaning"), ("seen_at", "staged / first seen"),
        ("received_at", "received at the source"), ("processed_at", "result saved"), ("delivered_at", "written back"),
        ("_staged_by", "staged by"), ("pipeline_version", "version"),
    ], cls="results", row_key="_key")
    body = "".join([
        nav(schema, form.dag_id or None, current="messages"),
        "<h1>Messages</h1>",
        f'<form method="get" action="messages" class="search">{fields}</form>',
        '<p class="note">Every input intakeflow received: message rows, inputs rejected at staging and inputs a '
        "filter rule matched, newest first, by when intakeflow first saw them; the states are the dashboard's. "
        "Ids, codes and times only: a message's redacted text is on its own page, its inbound text nowhere.</p>",
        f'<div data-live="results"><p class="states">{state_links}</p>',
        f'<p class="note" data-figure="shown">{escape(shown)}</p>',
        table,
        _pager(result, asked, form.status),
        "</div>",
    ])
    return page("intakeflow messages", body, refresh=refresh)


def _pager(result: SearchResult, asked: Mapping[str, str], status: str) -> str:
    s = result.search
    if result.pages <= 1:
        return ""

    def href(n: int) -> str:
        return "messages?" + _q(**asked, status=status, page=n, per_page=s.per_page if s.per_page != 50 else None)

    parts = []
    if s.page > 1:
        parts.append(_link(href(s.page - 1), "← newer"))
    parts.append(f"<span>page {s.page:,} of {result.pages:,}</span>")
    if s.page < result.pages:
        parts.append(_link(href(s.page + 1), "older →"))
    return f'<p class="pages">{"".join(parts)}</p>'


# -- one message's history ----------------------------------------------------------------------


def _task_link(step: str, run: RunState | None) -> str | None:
    """The Airflow task instance (its log) of ``step`` in ``run``, when the run has exactly
    one task of that role (a mapped one: the list of its instances)."""
    if run is None:
        return None
    found = {t.task_id for t in run.tasks if TASK_ROLES.get(t.operator or "") == step}
    if len(found) != 1:
        return None
    (task_id,) = found
    mapped = any(t.task_id == task_id and t.map_index >= 0 for t in run.tasks)
    url = airflow_task_url(run.dag_id, run.run_id, task_id, None if mapped else -1)
    return _link(url, f"{task_id} (log)", top=True)


def history_events(record: MessageRecord, hist: History, *, schema: str, dag_id: str | None,
                   runs: Mapping[tuple[str, str], RunState]) -> list[dict[str, Any]]:
    """A message's steps from what the store keeps: one time per step (the latest), the run
    that took it where the store records one, and the console's audit rows."""
    m = record.row
    status = str(m["status"])

    def run_of(dag: Any, run: Any) -> RunState | None:
        return runs.get((str(dag), str(run))) if dag and run else None

    events: list[dict[str, Any]] = []

    def add(step: str, at: Any, detail: str = "", *, dag: Any = None, run: Any = None, task: str | None = None) -> None:
        events.append({"step": step, "at": at, "_run": _run_cell(dag, run, schema), "_task": task,
                       "_detail": detail})

    if m.get("received_at"):
        add("received", m["received_at"], "time the source gave it (HL7 MSH-7, FHIR received or sent)")
    origin = m.get("reprocessed_from")
    staged = (f"copy of message {_link(message_href(origin, schema, dag_id), str(origin))} under version "
              f"{escape(str(m['pipeline_version']))}" if origin else escape(f"as {m['source']} / {m['source_id']}"))
    add("staged", m["created_at"], staged, dag=m.get("dag_id"), run=m.get("run_id"),
        task=_task_link("staged", run_of(m.get("dag_id"), m.get("run_id"))))
    q = hist.quarantine
    at_writeback = q is not None and q.get("stage") == "writeback"
    if m.get("processed_at"):
        if status in ("processed", "delivered") or at_writeback:
            step, detail = "processed", _routing(m)
        elif status in ("failed", "quarantined"):
            code = m.get("reason_code")
            step, detail = status, escape(f"{code}: {title_of(code)}") if code else ""
        else:  # re-queued since: the earlier outcome was cleared
            step, detail = "processed", "an earlier attempt; its outcome was cleared when the message was re-queued"
        add(step, m["processed_at"], detail, dag=m.get("processed_dag_id"), run=m.get("processed_run_id"),
            task=_task_link("processed", run_of(m.get("processed_dag_id"), m.get("processed_run_id"))))
    if q is not None and (at_writeback or not m.get("processed_at")):
        code = q.get("reason_code")
        add("quarantined", q["first_seen"], escape(f"{code}: {title_of(code)} (at {q.get('stage') or 'processing'})"),
            dag=q.get("dag_id"), run=q.get("run_id"))
    if m.get("delivered_at"):
        writes = len(record.writes)
        add("delivered", m["delivered_at"],
            f"written back to the FHIR server ({writes} resource{'s' if writes != 1 else ''}); the store does not "
            "record which run's write-back task did it")
    if int(m.get("reprocess_count") or 0) > 0 and m.get("reprocessed_at") and not origin:
        add("reprocessed", m["reprocessed_at"],
            escape(f"put back in the queue (re-queued {int(m['reprocess_count'])} time"
                   f"{'s' if int(m['reprocess_count']) != 1 else ''} in all; the latest time shown)"))
    for a in hist.audit:
        result = a.get("result") or {}
        did = (f"{int(result.get('requeued', 0))} re-queued" if result else "no result recorded")
        add(f"{a['action']} asked", a["at"],
            f"from the console by <b>{escape(str(a['username']))}</b>: “{escape(str(a['reason']))}” "
            f"(audit #{int(a['id'])}, {escape(did)})")
    for c in hist.copies:
        add("copied", c["created_at"],
            f"staged again as message {_link(message_href(c['id'], schema, dag_id), str(c['id']))} under version "
            f"{escape(str(c['pipeline_version']))} (now {escape(str(c['status']))})")
    events.sort(key=lambda e: (e["at"] is None, e["at"] or datetime.min))
    return events


def _routing(m: Mapping[str, Any]) -> str:
    route = [f"intent <b>{escape(str(m.get('intent') or 'none'))}</b>"]
    if m.get("queue"):
        route.append(f"routed to <b>{escape(str(m['queue']))}</b>")
    if m.get("needs_review"):
        route.append("flagged for human review")
    return "result saved: " + ", ".join(route)


def history_section(record: MessageRecord, hist: History, *, schema: str, dag_id: str | None,
                    runs: Mapping[tuple[str, str], RunState]) -> str:
    events = history_events(record, hist, schema=schema, dag_id=dag_id, runs=runs)
    table = html.table(events, [("step", "step"), ("at", "when"), ("_run", "run"), ("_task", "Airflow task"),
                                ("_detail", "what happened")], cls="history", row_key="step")
    return "".join([
        '<div data-live="history"><h2>History</h2>',
        '<p class="note">From the store: one time per step (a step taken again shows its latest time), the DAG '
        "run that took it where the store records one, with its task instance in Airflow (its log) when the run "
        "has one task for the step; actions from this console with who asked and why.</p>",
        table,
        "</div>",
    ])


def redacted_section(record: MessageRecord, hist: History) -> str:
    if hist.redacted_text is None:
        why = ("not processed yet" if record.row["status"] in ("received", "failed")
               else "the pipeline saved no result for it")
        return f'<h2>Redacted text</h2><p class="empty" data-text="none">none: {escape(why)}</p>'
    return ("<h2>Redacted text</h2>"
            '<p class="note">The pipeline\'s output: every identifier it found replaced by its type in brackets. '
            "Machine redaction can miss one; the inbound text is never shown.</p>"
            f'<pre class="redacted" data-text="redacted">{escape(hist.redacted_text)}</pre>')


def action_section(record: MessageRecord, hist: History, *, allowed: bool, schema: str, dag_id: str | None,
                   request_id: str, audit_available: bool) -> str:
    """The reprocess form for a quarantined message, or why there is none. Users without edit
    permission on the message's DAG see no form."""
    m = record.row
    if m["status"] != "quarantined" or not allowed:
        return ""
    if not audit_available:
        return ('<h2>Reprocess</h2><p class="empty">Actions are recorded in the store\'s audit table, which this '
                "store does not have yet: the next run of any intakeflow DAG adds it (migration 7).</p>")
    if not hist.has_text:
        return ('<h2>Reprocess</h2><p class="empty" data-action="no-text">This message cannot be re-run from the store: '
                "its inbound text was not kept (the store keeps it only with <code>store_raw</code> on; E090). Read it "
                "again from the source instead.</p>")
    action = "reprocess?" + _q(schema=schema, dag_id=dag_id)
    return "".join([
        "<h2>Reprocess</h2>",
        f'<form method="post" action="{escape(action)}" class="action" data-action="reprocess">',
        f'<input type="hidden" name="id" value="{int(m["id"])}">',
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">',
        f'<label>Why (recorded with your user name; no patient details)<textarea name="reason" required '
        f'maxlength="{MAX_REASON}"></textarea></label>',
        '<button type="submit">Reprocess this message</button>',
        "</form>",
        '<p class="note">Puts the message back in the queue under its own id (as <code>intakeflow reprocess --ids</code>); '
        "the next processing run of its version takes it. Recorded in the audit list.</p>",
    ])


def notice(hist: History, done: int | None, repeated: bool) -> str:
    if done is None:
        return ""
    row = next((a for a in hist.audit if int(a["id"]) == done), None)
    if row is None:
        return ""
    result = row.get("result") or {}
    what = (f"{int(result.get('requeued', 0))} message re-queued" if int(result.get("requeued", 0)) == 1
            else f"{int(result.get('requeued', 0))} messages re-queued")
    left = result.get("not_requeueable") or {}
    if left:
        what += "; not re-runnable: " + ", ".join(f"{k} × {v}" for k, v in sorted(left.items()))
    again = " This form had been submitted already: nothing was done a second time." if repeated else ""
    return (f'<div class="notice" data-notice="reprocess">Reprocess recorded as audit #{done} by '
            f"{escape(str(row['username']))} at {_fmt(row['at'])}: {escape(what)}.{again}</div>")


def audit_list(rows: Sequence[Mapping[str, Any]], schema: str, dag_id: str | None) -> str:
    out = []
    for r in rows:
        ids = list(r.get("message_ids") or [])
        links = ", ".join(_link(message_href(i, schema, dag_id), str(i)) for i in ids[:20])
        if len(ids) > 20:
            links += f" and {len(ids) - 20:,} more"
        result = r.get("result") or {}
        out.append({**r, "_messages": links or "–", "_dags": escape(", ".join(r.get("dag_ids") or [])) or "–",
                    "requeued": int(result["requeued"]) if "requeued" in result else None,
                    "_left": escape(", ".join(f"{k} × {v}" for k, v in sorted((result.get("not_requeueable") or {}).items())))
                    or None})
    return html.table(out, [("id", "audit id"), ("at", "when"), ("username", "user"), ("action", "action"),
                            ("_messages", "messages"), ("_dags", "DAGs"), ("reason", "reason given"),
                            ("requeued", "re-queued"), ("_left", "not re-runnable"), ("origin", "from")],
                      cls="audit", row_key="id")


def audit_page(audit: AuditPage | None, *, schema: str, dag_id: str | None, refresh: int, version: int) -> str:
    if audit is None:
        listing = (f'<p class="empty" data-audit="unavailable">The store {escape(schema)} is at migration {version}; '
                   "the audit table comes with migration 7, which the next run of any intakeflow DAG applies. "
                   "Until then the console takes no actions.</p>")
    else:
        pager = ""
        if audit.pages > 1:
            parts = []
            if audit.page > 1:
                parts.append(_link("audit?" + _q(schema=schema, dag_id=dag_id, page=audit.page - 1), "← newer"))
            parts.append(f"<span>page {audit.page:,} of {audit.pages:,}</span>")
            if audit.page < audit.pages:
                parts.append(_link("audit?" + _q(schema=schema, dag_id=dag_id, page=audit.page + 1), "older →"))
            pager = f'<p class="pages">{"".join(parts)}</p>'
        listing = (f'<div data-live="audit"><p class="note" data-figure="audit-total">{audit.total:,} '
                   f"action{'s' if audit.total != 1 else ''}</p>{audit_list(audit.rows, schema, dag_id)}{pager}</div>")
    body = "".join([
        nav(schema, dag_id, current="audit"),
        "<h1>Audit: actions taken from the console</h1>",
        f'<p class="note">Newest first{", " + escape(dag_id) + " only" if dag_id else ""}: who, when, which messages, '
        "why (as typed), and what the action did. Rows are written in the transaction that acts, and never "
        "changed afterwards.</p>",
        listing,
    ])
    return page("intakeflow audit", body, refresh=refresh if audit is not None else 0)


def error_page(status: int, detail: str, back: str) -> str:
    body = (f"<h1>Not done ({status})</h1><p>{escape(detail)}</p><p>{_link(back, '← back')}</p>")
    return page("intakeflow: not done", body)
