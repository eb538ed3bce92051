"""The console's React app (an Airflow 3 ``react_apps`` plugin) and the JSON it reads.

Airflow's UI imports the bundle named by the plugin's ``react_apps`` entry and renders the
component it defines inside its own page, with Airflow's React, React Router and Chakra UI
instances (the UI exposes them as ``globalThis.React``, ``ReactRouterDOM`` and ``ChakraUI``;
the bundle declares them external). The console therefore takes Airflow's theme tokens,
fonts, light and dark mode and the timezone the user chose, without an iframe.

Routes added to the monitoring app (so under the same Airflow login and DAG-run access):

- ``/console.js``: the built bundle (``static/console.js``, built from ``ui/console/`` by
  ``make ui`` and committed, so that the wheel needs no Node.js)
- ``/api/console/dashboard``: the dashboard's figures in the shape the app draws them, from
  the same ``Board`` the HTML dashboard is rendered from (same queries, same snapshot), with
  what the HTML page computes in Python (every timeline bucket, the bucket's name, whether
  archive folders exist, the alerts' catalogue titles and sentences, whether the watchdog's
  last check is stale) done here too, so that the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from fastapi.encoders import jsonable_encoder
from fastapi.responses import FileResponse, JSONResponse

from intakeflow.errors import title_of
from intakeflow.plugins.monitoring import html, queries
from intakeflow.plugins.monitoring import watchdog as wd

BUNDLE = Path(__file__).with_name("static") / "console.js"
#: the bundle's route, relative to the monitoring app's mount point
BUNDLE_ROUTE = "/console.js"
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def register(app: FastAPI, board: Callable[..., Any], *, schemas: Sequence[str], store_conn_id: str | None) -> None:
    """Add the console's routes to the monitoring ``app``; ``board`` is its dashboard
    dependency (``app.create_app``'s), so the figures are the HTML page's."""

    @app.get(BUNDLE_ROUTE, include_in_schema=False)
    def bundle() -> FileResponse:
        if not BUNDLE.is_file():  # a checkout where `make ui` has not run and nothing was committed
            raise HTTPException(404, "the console bundle is not built (make ui)")
        # revalidated on every load (ETag): an upgraded wheel's bundle applies at once
        return FileResponse(BUNDLE, media_type="text/javascript",
                            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})

    @app.get("/api/console/dashboard")
    def dashboard(b: Any = Depends(board)) -> JSONResponse:
        return JSONResponse(jsonable_encoder(dashboard_body(b, schemas, store_conn_id)), headers=NO_STORE)


def dashboard_body(b: Any, schemas: Sequence[str], store_conn_id: str | None) -> dict[str, Any]:
    """``b`` is an ``app.Board``. ``store.condition`` other than ``ready`` means the app
    shows the first-run guide (``dag_setups`` and ``archive_default`` word it)."""
    info: html.AirflowInfo = b.airflow
    body: dict[str, Any] = {
        "schema": b.schema, "schemas": list(schemas), "dags": b.dags, "store": asdict(b.state),
        "store_conn_id": store_conn_id or "intakeflow_postgres",
        "airflow_error": info.error, "airflow_available": info.available,
        "archive_default": info.archive_default,
        "archive_default_exists": info.folders.get(info.archive_default) if info.archive_default else None,
        "waits": [_wait(w, info) for w in info.waits],
        "dag_setups": [_dag(d, info) for d in info.dags],
        "legend": [{"state": k, "meaning": v} for k, v in html.CHANNEL_LEGEND],
    }
    if b.watchdog is not None:
        body["watchdog"] = _watchdog(b.watchdog)
    board: queries.Dashboard | None = b.data
    if board is None:
        return body
    f = board.filters
    by_time = {r["t"]: r for r in board.timeline}
    body.update(
        dag_id=f.dag_id,
        period={"start": f.start, "end": f.end, "bucket_s": int(f.bucket().total_seconds()),
                "bucket_name": html._bucket_name(board)},
        # every bucket of the period, empty ones too: a bar's place on the axis is its time
        timeline=[{"t": t, "received": int(by_time[t]["n_in"]) if t in by_time else 0,
                   "saved": int(by_time[t]["n_out"]) if t in by_time else 0} for t in f.bucket_starts()],
        channels=board.channels, totals=board.totals, backlog=board.backlog, intents=board.intents,
        phi=board.phi, insurance=board.insurance, quarantine=board.quarantine, latency=board.latency,
        runs=board.runs,
    )
    return body


def _watchdog(view: wd.WatchdogView) -> dict[str, Any]:
    """``WatchdogView.as_json`` plus what the HTML panel words in Python: each alert's
    catalogue title and sentence (``E120: 3 messages of source mllp wait, ...``), whether the
    last check is too old to trust, and the DAG to unpause."""
    out = view.as_json()
    for row, alert in zip(out["alerts"], view.alerts, strict=True):
        row.update(title=title_of(alert.code), sentence=alert.result().sentence())
    out.update(stale=(view.age_s or 0) > wd.STALE_AFTER_S, stale_after_s=wd.STALE_AFTER_S, dag_id=wd.WATCHDOG_DAG)
    return out


def _wait(w: Any, info: html.AirflowInfo) -> dict[str, Any]:
    root = w.archive_root
    return {"dag_id": w.dag_id, "run_id": w.run_id, "task_id": w.task_id, "map_index": w.map_index,
            "state": w.state, "operator": w.operator, "since": w.since, "until": w.until,
            "archive_root": root, "day_folders": w.day_folders(),
            "root_exists": info.folders.get(root) if root else None}


def _dag(d: Any, info: html.AirflowInfo) -> dict[str, Any]:
    root = d.params.get("archive_root")
    return {"dag_id": d.dag_id, "paused": d.paused, "archive_root": root,
            "root_exists": info.folders.get(str(root)) if root else None}
