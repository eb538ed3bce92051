"""The monitoring page as a FastAPI app: HTML pages and their figures as JSON.

``create_app`` takes how to reach the store and which dependencies guard every route; the
Airflow plugin passes Airflow's own authentication and DAG authorisation, tests pass their
own. Routes (relative to where the app is mounted):

- ``/``: dashboard for ``?dag_id=&start=&end=`` (or ``hours=``) and ``schema=``
- ``/run``: one run, ``?dag_id=&run_id=``: message counts and the quarantine list
- ``/api/dashboard`` and ``/api/run``: the same figures as JSON
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse

from intakeflow.plugins.monitoring import html, queries

DEFAULT_HOURS = 24
MAX_PERIOD = timedelta(days=400)
#: a slow query must not hold an API-server worker: PostgreSQL cancels it after this
STATEMENT_TIMEOUT_MS = 15_000
#: pages are never cached: they show live counts, and a shared cache must not keep them
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


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
    """The dashboard's figures with what they were asked for (the form shows ``asked`` back)."""

    data: queries.Dashboard
    dags: list[str]
    schema: str
    asked: dict[str, str]


#: one run's figures and the store they were read from
RunView = tuple[queries.RunDetail, str]


def create_app(
    dsn: Callable[[], str],
    schemas: Sequence[str],
    *,
    dependencies: Sequence[Any] = (),
    title: str = "intakeflow monitoring",
) -> FastAPI:
    """``dsn`` is called per request (so a changed Airflow connection applies at once);
    ``schemas`` are the stores offered, the first being the default."""
    if not schemas:
        raise ValueError("at least one store schema is needed")
    allowed = list(schemas)
    app = FastAPI(title=title, dependencies=[Depends(d) for d in dependencies], docs_url=None, redoc_url=None,
                  openapi_url=None)

    @contextmanager
    def connect() -> Iterator[psycopg.Connection[Any]]:
        try:
            conn = psycopg.connect(dsn(), connect_timeout=10, options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
        except psycopg.Error as exc:
            # the DSN may hold a password: report the kind of failure only
            raise HTTPException(503, f"store database unavailable ({type(exc).__name__})") from None
        with conn:
            yield conn

    def pick_schema(schema: str | None) -> str:
        if schema in (None, ""):
            return allowed[0]
        if schema not in allowed:
            raise HTTPException(400, "unknown store schema")
        return schema

    def board(
        dag_id: str | None = None, start: str | None = None, end: str | None = None,
        hours: int | None = Query(None, ge=1, le=MAX_PERIOD.days * 24), schema: str | None = None,
    ) -> Board:
        lo, hi = parse_period(start, end, hours)
        chosen = pick_schema(schema)
        with connect() as conn:
            data = queries.dashboard(conn, chosen, queries.Filters(lo, hi, dag_id or None))
            dags = queries.dag_ids(conn, chosen)
        asked = {k: v for k, v in (("start", start), ("end", end), ("hours", str(hours or ""))) if v}
        return Board(data, dags, chosen, asked)

    @app.get("/", response_class=HTMLResponse)
    def dashboard_html(b: Board = Depends(board)) -> HTMLResponse:
        page = html.dashboard_page(b.data, dags=b.dags, schemas=allowed, schema=b.schema, asked=b.asked)
        return HTMLResponse(page, headers=NO_STORE)

    @app.get("/api/dashboard")
    def dashboard_json(b: Board = Depends(board)) -> JSONResponse:
        body = {"schema": b.schema, "dags": b.dags, **asdict(b.data)}
        return JSONResponse(jsonable_encoder(body), headers=NO_STORE)

    def detail(dag_id: str, run_id: str, schema: str | None = None) -> RunView:
        chosen = pick_schema(schema)
        with connect() as conn:
            return queries.run_detail(conn, chosen, dag_id, run_id), chosen

    @app.get("/run", response_class=HTMLResponse)
    def run_html(d: RunView = Depends(detail)) -> HTMLResponse:
        data, chosen = d
        page = html.run_page(data, schema=chosen, limit=queries.QUARANTINE_LIST_LIMIT)
        return HTMLResponse(page, headers=NO_STORE)

    @app.get("/api/run")
    def run_json(d: RunView = Depends(detail)) -> JSONResponse:
        data, chosen = d
        return JSONResponse(jsonable_encoder({"schema": chosen, **asdict(data)}), headers=NO_STORE)

    return app
