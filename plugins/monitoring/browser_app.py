"""Routes of the message browser, added to the monitoring app by ``create_app``:

- ``/messages`` and ``/api/messages``: search by control id, source, status, code or rule,
  DAG and period (``start``/``end``, ISO 8601, naive is UTC), newest first, ``page`` and
  ``per_page``, with the count per status
- ``/message`` and ``/api/message``: one message's record (``queries.message_record``)
  with its history, its redacted text and, for a user with edit permission on its DAG, the
  reprocess form (``?id=``; ``dag_id=``: only a message of that DAG)
- ``POST /reprocess`` (the form; answers with a redirect to the message) and
  ``POST /api/reprocess`` (JSON ``{"ids": [...], "reason": ..., "request_id": ...}``):
  re-queue quarantined messages, audited (``actions``)
- ``/audit`` and ``/api/audit``: the actions taken from the console, newest first

HTML pages take ``refresh=`` (seconds between refreshes while the page is open, 0 for none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from psycopg import sql
from pydantic import BaseModel, Field

from intakeflow.plugins.monitoring import actions, browser_html, browser_queries, html, queries
from intakeflow.plugins.monitoring.actions import Actor
from intakeflow.plugins.monitoring.airflow_view import AirflowView, RunState
from intakeflow.plugins.monitoring.browser_queries import AUDIT_SCHEMA_VERSION, MAX_OFFSET, MAX_PER_PAGE, STATES
from intakeflow.store import Store
from intakeflow.store.pg_audit import BY_REQUEST

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
#: the store version to tell a caller when an action needs the audit table
_READY = ("ready", "empty")


@dataclass(frozen=True)
class Console:
    """What the browser's routes share with the rest of the app (``create_app``)."""

    connect: Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
    dsn: Callable[[], str]
    pick_schema: Callable[[str | None], str]
    schemas: Sequence[str]
    airflow: AirflowView | None
    actor: Callable[..., Actor]


class ReprocessBody(BaseModel):
    ids: list[int] = Field(min_length=1, max_length=actions.MAX_IDS)
    reason: str
    request_id: str


def _when(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name} must be an ISO 8601 date-time, e.g. 2026-01-31T08:00") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _refresh(value: int | None) -> int:
    if value is None:
        return browser_html.REFRESH_S
    return 0 if value <= 0 else max(browser_html.MIN_REFRESH_S, min(value, 3600))


def add_browser_routes(app: FastAPI, c: Console) -> None:
    @dataclass
    class Found:
        schema: str
        version: int
        data: Any

    def store_ready(conn: psycopg.Connection[Any], schema: str) -> queries.StoreState:
        return queries.store_state(conn, schema)

    # -- search -------------------------------------------------------------------------------

    def search(
        control_id: str | None = None, source: str | None = None, status: str | None = None, code: str | None = None,
        start: str | None = None, end: str | None = None, dag_id: str | None = None, schema: str | None = None,
        page: int = Query(1, ge=1), per_page: int = Query(browser_queries.PER_PAGE, ge=1, le=MAX_PER_PAGE),
    ) -> tuple[browser_queries.SearchResult, browser_html.SearchForm, str, list[str], list[str]]:
        chosen = c.pick_schema(schema)
        if status and status not in STATES:
            raise HTTPException(400, f"status must be one of {', '.join(STATES)}")
        lo, hi = _when(start, "start"), _when(end, "end")
        if lo and hi and hi <= lo:
            raise HTTPException(400, "end must be after start")
        if (page - 1) * per_page > MAX_OFFSET:
            raise HTTPException(400, "that page is too far back: narrow the search (period, status, source)")
        s = browser_queries.Search(control_id=(control_id or "").strip() or None, source=source or None,
                                   state=status or None, code=(code or "").strip() or None, start=lo, end=hi,
                                   dag_id=dag_id or None, page=page, per_page=per_page)
        form = browser_html.SearchForm(control_id or "", source or "", status or "", code or "", start or "", end or "",
                                       dag_id or "", per_page)
        with c.connect() as conn:
            state = store_ready(conn, chosen)
            if state.condition not in _READY:
                return browser_queries.SearchResult(s), form, chosen, [], []
            result = browser_queries.search(conn, chosen, s)
            dags = queries.dag_ids(conn, chosen)
            found_sources = browser_queries.sources(conn, chosen)
        return result, form, chosen, dags, found_sources

    @app.get("/messages", response_class=HTMLResponse)
    def messages_html(found: Any = Depends(search), refresh: int | None = None) -> HTMLResponse:
        result, form, chosen, dags, found_sources = found
        return HTMLResponse(browser_html.search_page(result, form, schema=chosen, schemas=c.schemas, dags=dags,
                                                     sources=found_sources, refresh=_refresh(refresh)), headers=NO_STORE)

    @app.get("/api/messages")
    def messages_json(found: Any = Depends(search)) -> JSONResponse:
        result, _, chosen, _, _ = found
        body = {"schema": chosen, "search": asdict(result.search), "total": result.total, "counts": result.counts,
                "page": result.search.page, "pages": result.pages, "results": result.rows}
        return JSONResponse(jsonable_encoder(body), headers=NO_STORE)

    # -- one message ----------------------------------------------------------------------------

    def message(message_id: int = Query(..., alias="id", ge=1), dag_id: str | None = None,
                schema: str | None = None) -> tuple[queries.MessageRecord, browser_queries.History, str, str | None]:
        chosen = c.pick_schema(schema)
        with c.connect() as conn:
            state = store_ready(conn, chosen)
            record = (queries.message_record(conn, chosen, message_id, dag_id or None)
                      if state.condition in _READY else None)
            if record is None:
                # also when the message belongs to another DAG than the one the caller was authorised for
                raise HTTPException(404, "no such message")
            hist = browser_queries.history(conn, chosen, message_id)
        return record, hist, chosen, dag_id or None

    def runs_of(record: queries.MessageRecord) -> dict[tuple[str, str], RunState]:
        """The Airflow runs that staged and processed the message (for links to their tasks);
        none when Airflow cannot be read: the page still shows what the store knows."""
        m = record.row
        out: dict[tuple[str, str], RunState] = {}
        if c.airflow is None:
            return {}
        for dag, run in ((m.get("dag_id"), m.get("run_id")), (m.get("processed_dag_id"), m.get("processed_run_id"))):
            if dag and run and (dag, run) not in out:
                try:
                    state = c.airflow.run(str(dag), str(run))
                except Exception:  # noqa: BLE001 - Airflow's database unreadable: links to the run only
                    return out
                if state is not None:
                    out[(str(dag), str(run))] = state
        return out

    @app.get("/message", response_class=HTMLResponse)
    def message_html(
        m: tuple[queries.MessageRecord, browser_queries.History, str, str | None] = Depends(message),
        actor: Actor = Depends(c.actor), done: int | None = None, repeated: bool = False, refresh: int | None = None,
    ) -> HTMLResponse:
        record, hist, chosen, dag_id = m
        allowed = actions.may_reprocess(actor, record.row)
        sections = [
            browser_html.history_section(record, hist, schema=chosen, dag_id=dag_id, runs=runs_of(record)),
            browser_html.redacted_section(record, hist),
            browser_html.action_section(record, hist, allowed=allowed, schema=chosen, dag_id=dag_id,
                                        request_id=actions.new_request_id(), audit_available=hist.audit_available),
        ]
        back = html._link("messages?" + browser_html._q(schema=chosen, dag_id=dag_id), "← messages")
        head = browser_html.nav(chosen, dag_id) + f"<p>{back}</p>" + browser_html.notice(hist, done, repeated)
        page = html.message_page(record, schema=chosen, dag_id=dag_id, head=head, sections=sections,
                                 wrap=lambda title, body: browser_html.page(title, body, refresh=_refresh(refresh)))
        return HTMLResponse(page, headers=NO_STORE)

    @app.get("/api/message")
    def message_json(
        m: tuple[queries.MessageRecord, browser_queries.History, str, str | None] = Depends(message),
        actor: Actor = Depends(c.actor),
    ) -> JSONResponse:
        record, hist, chosen, dag_id = m
        events = browser_html.history_events(record, hist, schema=chosen, dag_id=dag_id, runs={})
        body = {"schema": chosen, **asdict(record), "redacted_text": hist.redacted_text,
                "history": [{"step": e["step"], "at": e["at"]} for e in events], "quarantine": hist.quarantine,
                "copies": hist.copies, "audit": hist.audit, "can_reprocess": actions.may_reprocess(actor, record.row)}
        return JSONResponse(jsonable_encoder(body), headers=NO_STORE)

    # -- reprocess ------------------------------------------------------------------------------

    def act(request: Request, ask: actions.ReprocessAsk, actor: Actor, schema: str | None) -> tuple[Any, str]:
        if not actions.same_origin(request):
            raise HTTPException(403, "cross-site request refused: send it from the console's own page")
        chosen = c.pick_schema(schema)
        ids = sorted(set(ask.ids))[: actions.MAX_IDS + 1]
        with c.connect() as conn:  # what the checks need, read before the action's own transaction
            state = store_ready(conn, chosen)
            version = state.version or 0
            if state.condition not in _READY:
                raise HTTPException(404, "no such message")
            rows = browser_queries.message_states(conn, chosen, ids) if ids else {}
            earlier = (conn.execute(sql.SQL(BY_REQUEST).format(s=sql.Identifier(chosen)),
                                    {"request": ask.request_id}).fetchone()
                       if version >= AUDIT_SCHEMA_VERSION and ask.request_id else None)
        outcome = actions.reprocess(ask, actor, schema=chosen, schema_version=version, states=lambda _: rows,
                                    store=lambda: Store(c.dsn(), schema=chosen, pipeline_version="any"),
                                    audit_version=AUDIT_SCHEMA_VERSION, prior=lambda _: earlier)
        return outcome, chosen

    @app.post("/reprocess")
    def reprocess_form(
        request: Request, message_id: int = Form(..., alias="id", ge=1), reason: str = Form(""),
        request_id: str = Form(""), schema: str | None = None, dag_id: str | None = None,
        actor: Actor = Depends(c.actor),
    ) -> Response:
        back = browser_html.message_href(message_id, schema or c.schemas[0], dag_id)
        try:
            outcome, chosen = act(request, actions.ReprocessAsk((message_id,), reason, request_id), actor, schema)
        except HTTPException as exc:
            return HTMLResponse(browser_html.error_page(exc.status_code, str(exc.detail), back),
                                status_code=exc.status_code, headers=NO_STORE)
        target = "message?" + browser_html._q(id=message_id, schema=chosen, dag_id=dag_id, done=outcome.audit_id,
                                              repeated="true" if outcome.repeated else None)
        return RedirectResponse(target, status_code=303, headers=NO_STORE)

    @app.post("/api/reprocess")
    def reprocess_json(request: Request, body: ReprocessBody, schema: str | None = None,
                       actor: Actor = Depends(c.actor)) -> JSONResponse:
        outcome, chosen = act(request, actions.ReprocessAsk(tuple(body.ids), body.reason, body.request_id), actor, schema)
        return JSONResponse(jsonable_encoder({"schema": chosen, **asdict(outcome)}), headers=NO_STORE)

    # -- audit ----------------------------------------------------------------------------------

    def audit(dag_id: str | None = None, schema: str | None = None, page: int = Query(1, ge=1, le=10_000)) -> Found:
        chosen = c.pick_schema(schema)
        with c.connect() as conn:
            state = store_ready(conn, chosen)
            version = state.version or 0
            if state.condition not in _READY or version < AUDIT_SCHEMA_VERSION:
                return Found(chosen, version, None)
            return Found(chosen, version, browser_queries.audit_page(conn, chosen, dag_id or None, page))

    @app.get("/audit", response_class=HTMLResponse)
    def audit_html(found: Found = Depends(audit), dag_id: str | None = None, refresh: int | None = None) -> HTMLResponse:
        return HTMLResponse(browser_html.audit_page(found.data, schema=found.schema, dag_id=dag_id or None,
                                                    refresh=_refresh(refresh), version=found.version), headers=NO_STORE)

    @app.get("/api/audit")
    def audit_json(found: Found = Depends(audit)) -> JSONResponse:
        data: browser_queries.AuditPage | None = found.data
        body: dict[str, Any] = {"schema": found.schema, "store_version": found.version, "available": data is not None}
        if data is not None:
            body.update({"total": data.total, "page": data.page, "pages": data.pages,
                         "actions": [{k: v for k, v in r.items() if k != "total"} for r in data.rows]})
        return JSONResponse(jsonable_encoder(body), headers=NO_STORE)
