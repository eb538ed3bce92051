"""The monitoring page's view of Airflow's own records, read from Airflow's metadata database
in the API server process that serves the page (``AirflowView`` in
``intakeflow.plugins.monitoring.airflow_view``): a DAG run's task instances, tasks that wait
(deferred sensors, sensors between pokes) with the paths they were rendered with, and the
intakeflow DAGs with their param defaults.

Read-only, a few small indexed queries per page. Airflow is imported inside the methods:
workers and the scheduler load the plugin too, and need none of this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intakeflow.plugins.monitoring.airflow_view import (
    DAG_TAG,
    WAIT_FIELDS,
    WAITING_STATES,
    DagSetup,
    RunState,
    TaskRun,
    Wait,
)

#: at most this many waiting tasks on a page (a paused backlog must not flood it)
MAX_WAITS = 50
#: sensors that poke in a worker slot show as ``running`` between their checks
_SENSOR_SUFFIX = "Sensor"


class MetadataDbView:
    """``AirflowView`` over Airflow's metadata database (the ORM session of the API server)."""

    def run(self, dag_id: str, run_id: str) -> RunState | None:
        from airflow.models.dagrun import DagRun
        from airflow.models.taskinstance import TaskInstance as TI
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            dag_run = session.execute(
                select(DagRun.state, DagRun.data_interval_start, DagRun.data_interval_end)
                .where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
            ).first()
            if dag_run is None:
                return None
            rows = session.execute(
                select(TI.task_id, TI.map_index, TI.state, TI.try_number, TI.operator, TI.custom_operator_name,
                       TI.start_date, TI.end_date)
                .where(TI.dag_id == dag_id, TI.run_id == run_id)
                .order_by(TI.start_date.is_(None), TI.start_date, TI.task_id, TI.map_index)
            ).all()
        tasks = [TaskRun(task_id=r.task_id, map_index=r.map_index, state=r.state, try_number=r.try_number or 0,
                         operator=r.operator, start=r.start_date, end=r.end_date) for r in rows]
        return RunState(dag_id, run_id, dag_run.state, dag_run.data_interval_start, dag_run.data_interval_end, tasks)

    def waits(self, dag_id: str | None) -> list[Wait]:
        from airflow.models.dag import DagTag
        from airflow.models.dagrun import DagRun
        from airflow.models.renderedtifields import RenderedTaskInstanceFields as RTIF
        from airflow.models.taskinstance import TaskInstance as TI
        from airflow.utils.session import create_session
        from sqlalchemy import and_, or_, select

        waiting = or_(TI.state.in_(WAITING_STATES), and_(TI.state == "running", TI.operator.like(f"%{_SENSOR_SUFFIX}")))
        query = (
            select(TI.dag_id, TI.run_id, TI.task_id, TI.map_index, TI.state, TI.operator, TI.start_date,
                   TI.trigger_timeout, DagRun.data_interval_start, DagRun.data_interval_end, RTIF.rendered_fields)
            .join(DagRun, and_(DagRun.dag_id == TI.dag_id, DagRun.run_id == TI.run_id))
            .outerjoin(RTIF, and_(RTIF.dag_id == TI.dag_id, RTIF.run_id == TI.run_id, RTIF.task_id == TI.task_id,
                                  RTIF.map_index == TI.map_index))
            .where(waiting, DagRun.state == "running")
            .order_by(TI.start_date, TI.dag_id, TI.run_id, TI.task_id)
            .limit(MAX_WAITS)
        )
        if dag_id is not None:
            query = query.where(TI.dag_id == dag_id)
        else:  # the intakeflow DAGs only: the page is not Airflow's overview of every DAG
            query = query.where(TI.dag_id.in_(select(DagTag.dag_id).where(DagTag.name == DAG_TAG)))
        with create_session() as session:
            rows = session.execute(query).all()
        return [Wait(dag_id=r.dag_id, run_id=r.run_id, task_id=r.task_id, map_index=r.map_index, state=r.state,
                     operator=r.operator, since=r.start_date, until=r.trigger_timeout,
                     interval_start=r.data_interval_start, interval_end=r.data_interval_end,
                     rendered=_strings(r.rendered_fields)) for r in rows]

    def dags(self) -> list[DagSetup]:
        from airflow.models.dag import DagModel, DagTag
        from airflow.models.serialized_dag import SerializedDagModel
        from airflow.utils.session import create_session
        from sqlalchemy import select

        with create_session() as session:
            rows = session.execute(
                select(DagModel.dag_id, DagModel.is_paused)
                .where(DagModel.dag_id.in_(select(DagTag.dag_id).where(DagTag.name == DAG_TAG)))
                .order_by(DagModel.dag_id)
            ).all()
            out = []
            for r in rows:
                dag = SerializedDagModel.get_dag(r.dag_id, session=session)
                out.append(DagSetup(r.dag_id, r.is_paused, _param_defaults(dag)))
        return out


def _strings(rendered: Any) -> dict[str, str]:
    """The rendered template fields the page reads (``WAIT_FIELDS``: paths, windows,
    connection ids) that are plain strings; any other field stays in Airflow's own UI."""
    if not isinstance(rendered, Mapping):
        return {}
    return {k: v for k, v in rendered.items() if k in WAIT_FIELDS and isinstance(v, str)}


def _param_defaults(dag: Any) -> dict[str, Any]:
    """Scalar param defaults of a serialized DAG (``archive_root``, connection ids, flags)."""
    params = getattr(dag, "params", None)
    if params is None:
        return {}
    out: dict[str, Any] = {}
    for name in params:
        try:
            value = params[name]
        except Exception:  # noqa: BLE001 - a param without a default (required at trigger time) has none to show
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            out[str(name)] = value
    return out
