"""The monitoring page as a FastAPI app: HTML pages and their figures as JSON.

``create_app`` takes how to reach the store, which dependencies guard every route and,
optionally, a view of Airflow's own records (task states, waiting sensors); the Airflow
plugin passes Airflow's authentication, DAG authorisation and its metadata database, tests
pass their own. Routes (relative to where the app is mounted):

- ``/``: dashboard for ``?dag_id=&start=&end=`` (or ``hours=``) and ``schema=``; while the
  store has nothing to show (no schema yet, an older schema, empty, unreachable) the
  first-run guide instead, never an error page
- ``/run``: one run, ``?dag_id=&run_id=``: its messages, tasks, recorded figures, quarantine
- ``/api/dashboard`` and ``/api/run``: the same figures as JSON
- ``/console.js`` and ``/api/console/dashboard``: the React console and its JSON (``console``)
- the message browser (``browser_app``): ``/messages`` (search), ``/message`` (one message's
  record and history, ``?id=``, and ``dag_id=``: only a message of that DAG),
  ``POST /reprocess``, ``/audit``, and their JSON twins under ``/api/``
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response

from intakeflow.plugins.monitoring import actions, browser_app, console, html, queries, watchdog
from intakeflow.plugins.monitoring.airflow_view import AirflowView, waits_of

DEFAULT_HOURS = 24
MAX_PERIOD = timedelta(days=400)
#: a slow query must not hold an API-server worker: PostgreSQL cancels it after this
STATEMENT_TIMEOUT_MS = 15_000
#: pages are never cached: they show live counts, and a shared cache must not keep them
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class StoreUnavailable(Exception):
    """The store could not be reached (or its connection not resolved); ``kind`` is the
    exception's type name only: the DSN may hold a password."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


def parse_period(start: str | None, end: str | None, hours: int | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``[start, end)`` in UTC from ISO strings (naive means UTC) or the last ``hours``."""
    now = now or datetime.now(UTC)
    try:
        hi = _utc(end) if end else now
        lo = _utc(start) if start else hi - timedelta(hours=hours or DEFAULT_HOURS)
    except ValueError:
        raise HTTPException(400, "start and end must be ISO 8601 date-times, e.g. 2026-01-31T08:00") from None
    if hi <= lo:
        raise HTTPException(400, "end must be after start")
    if hi - lo > MAX_PERIOD:
        raise HTTPException(400, f"the period may span at most {MAX_PERIOD.days} days")
    return lo, hi


def _utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Board:
    """The dashboard's figures with what they were asked for (the form shows ``asked`` back);
    ``data`` is ``None`` while the store has nothing to show (``state`` says why)."""

    state: queries.StoreState
    data: queries.Dashboard | None
    dags: list[str]
    schema: str
    asked: dict[str, str]
    airflow: html.AirflowInfo = field(default_factory=html.AirflowInfo)
    watchdog: watchdog.WatchdogView | None = None


@dataclass(frozen=True)
class RunView:
    state: queries.StoreState
    data: queries.RunDetail
    schema: str
    airflow: html.AirflowInfo


def create_app(
    dsn: Callable[[], str],
    schemas: Sequence[str],
    *,
    dependencies: Sequence[Any] = (),
    title: str = "intakeflow monitoring",
    airflow: AirflowView | None = None,
    store_conn_id: str | None = None,
    archive_default: str | None = None,
    folder_exists: Callable[[str], bool] = os.path.isdir,
    actor: Callable[..., actions.Actor] | None = None,
) -> FastAPI:
    """``dsn`` is called per request (so a changed Airflow connection applies at once);
    ``schemas`` are the stores offered, the first being the default. ``airflow`` reads task
    states and waiting sensors (none: the pages link to Airflow's UI instead);
    ``store_conn_id`` and ``archive_default`` only word the first-run guide;
    ``folder_exists`` checks the archive paths the page mentions. ``actor`` is a dependency
    giving the user behind a request and what they may do (``actions.Actor``): without one
    the console offers no actions."""
    if not schemas:
        raise ValueError("at least one store schema is needed")
    allowed = list(schemas)
    app = FastAPI(title=title, dependencies=[Depends(d) for d in dependencies], docs_url=None, redoc_url=None,
                  openapi_url=None)

    @app.exception_handler(StoreUnavailable)
    def store_unavailable(request: Request, exc: StoreUnavailable) -> Response:
        detail = f"store database unavailable ({exc.kind})"
        if "/api/" in request.url.path:
            return JSONResponse({"detail": detail}, status_code=503, headers=NO_STORE)
        # a page: the guide says what to check, with the status still telling monitors it failed
        schema = request.query_params.get("schema") or allowed[0]
        page = html.guide_page(None, schema=schema if schema in allowed else allowed[0], conn_id=store_conn_id,
                               airflow=airflow_info(None, with_dags=True), unreachable=exc.kind)
        return HTMLResponse(page, status_code=503, headers=NO_STORE)

    @contextmanager
    def connect() -> Iterator[psycopg.Connection[Any]]:
        try:
            target = dsn()
        except Exception as exc:  # noqa: BLE001 - e.g. the Airflow connection is not defined yet: a first-run state
            raise StoreUnavailable(type(exc).__name__) from None
        try:
            conn = psycopg.connect(target, connect_timeout=10, options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
        except psycopg.Error as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        with conn:
            yield conn

    def pick_schema(schema: str | None) -> str:
        if schema in (None, ""):
            return allowed[0]
        if schema not in allowed:
            raise HTTPException(400, "unknown store schema")
        return schema

    def airflow_info(dag_id: str | None, run_id: str | None = None, *, with_dags: bool = False) -> html.AirflowInfo:
        """Airflow's side of the page; a failure to read it is shown, not raised."""
        roots = {archive_default} if archive_default else set()
        if airflow is None:
            return html.AirflowInfo(available=False, archive_default=archive_default,
                                    folders={r: folder_exists(r) for r in roots})
        try:
            waits = airflow.waits(dag_id)
            run = airflow.run(dag_id, run_id) if dag_id and run_id else None
            dags = airflow.dags() if with_dags else []
        except Exception as exc:  # noqa: BLE001 - whatever Airflow's database raises, the store's figures still show
            return html.AirflowInfo(error=type(exc).__name__, archive_default=archive_default,
                                    folders={r: folder_exists(r) for r in roots})
        if dag_id and run_id:
            waits = waits_of(waits, dag_id, run_id)
        roots |= {w.archive_root for w in waits if w.archive_root}
        roots |= {str(d.params["archive_root"]) for d in dags if d.params.get("archive_root")}
        return html.AirflowInfo(waits=waits, run=run, dags=dags, folders={r: folder_exists(r) for r in roots},
                                archive_default=archive_default)

    def board(
        dag_id: str | None = None, start: str | None = None, end: str | None = None,
        hours: int | None = Query(None, ge=1, le=MAX_PERIOD.days * 24), schema: str | None = None,
    ) -> Board:
        lo, hi = parse_period(start, end, hours)
        chosen = pick_schema(schema)
        asked = {k: v for k, v in (("start", start), ("end", end), ("hours", str(hours or ""))) if v}
        with connect() as conn:
            state = queries.store_state(conn, chosen)
            if state.condition != "ready":
                return Board(state, None, [], chosen, asked, airflow_info(dag_id or None, with_dags=True))
            data = queries.dashboard(conn, chosen, queries.Filters(lo, hi, dag_id or None))
            dags = queries.dag_ids(conn, chosen)
            alerts = watchdog.read(conn, chosen)
        return Board(state, data, dags, chosen, asked, airflow_info(dag_id or None), alerts)

    @app.get("/", response_class=HTMLResponse)
    def dashboard_html(b: Board = Depends(board)) -> HTMLResponse:
        if b.data is None:
            page = html.guide_page(b.state, schema=b.schema, conn_id=store_conn_id, airflow=b.airflow)
        else:
            page = html.dashboard_page(b.data, dags=b.dags, schemas=allowed, schema=b.schema, asked=b.asked,
                                       airflow=b.airflow, watchdog=watchdog.panel(b.watchdog))
        return HTMLResponse(page, headers=NO_STORE)

    @app.get("/api/dashboard")
    def dashboard_json(b: Board = Depends(board)) -> JSONResponse:
        body: dict[str, Any] = {"schema": b.schema, "store": asdict(b.state), "dags": b.dags,
                                "waits": [asdict(w) for w in b.airflow.waits], "airflow_error": b.airflow.error}
        if b.data is not None:
            body.update(asdict(b.data))
        if b.watchdog is not None:
            body["watchdog"] = b.watchdog.as_json()
        return JSONResponse(jsonable_encoder(body), headers=NO_STORE)

    def detail(dag_id: str, run_id: str, schema: str | None = None) -> RunView:
        chosen = pick_schema(schema)
        with connect() as conn:
            state = queries.store_state(conn, chosen)
            data = (queries.run_detail(conn, chosen, dag_id, run_id) if state.condition in ("ready", "empty")
                    else queries.RunDetail(dag_id, run_id))
        return RunView(state, data, chosen, airflow_info(dag_id, run_id))

    @app.get("/run", response_class=HTMLResponse)
    def run_html(d: RunView = Depends(detail)) -> HTMLResponse:
        if d.state.condition in ("missing", "outdated"):
            page = html.guide_page(d.state, schema=d.schema, conn_id=store_conn_id, airflow=d.airflow)
        else:
            page = html.run_page(d.data, schema=d.schema, limit=queries.QUARANTINE_LIST_LIMIT, airflow=d.airflow)
        return HTMLResponse(page, headers=NO_STORE)

    @app.get("/api/run")
    def run_json(d: RunView = Depends(detail)) -> JSONResponse:
        body = {"schema": d.schema, "store": asdict(d.state), **asdict(d.data),
                "airflow": None if d.airflow.run is None else asdict(d.airflow.run),
                "waits": [asdict(w) for w in d.airflow.waits], "airflow_error": d.airflow.error}
        return JSONResponse(jsonable_encoder(body), headers=NO_STORE)

    browser_app.add_browser_routes(app, browser_app.Console(
        connect=connect, dsn=dsn, pick_schema=pick_schema, schemas=allowed, airflow=airflow,
        actor=actor or actions.no_actions))

    console.register(app, board, schemas=allowed, store_conn_id=store_conn_id)
    return app
