"""What the monitoring page needs from Airflow itself (task states, waiting sensors, DAG
settings), as plain data behind a small protocol. The Airflow plugin supplies the
implementation that reads Airflow's metadata database (``intakeflow.plugins.airflow_state``);
tests pass their own. No Airflow imports here, like the rest of ``monitoring``.

Also the Airflow 3 UI addresses the page links to: the UI is served from the same origin as
this app (mounted under ``/intakeflow/``), so links are relative to the mount point and open
in the top window (the page itself is shown in an iframe inside Airflow's UI).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

#: task-instance states in which a task waits on something outside Airflow
WAITING_STATES: tuple[str, ...] = ("deferred", "up_for_reschedule")
#: the intakeflow DAGs carry this tag; the first-run guide lists them
DAG_TAG = "intakeflow"
#: rendered template fields a wait carries: what the intakeflow sensors wait for (paths,
#: windows). Other fields of other operators (queries, headers, ...) stay in Airflow.
WAIT_FIELDS: tuple[str, ...] = ("archive_root", "start", "end", "since", "fhir_conn_id")


@dataclass(frozen=True)
class TaskRun:
    """One task instance of a DAG run (its latest try)."""

    task_id: str
    map_index: int
    state: str | None
    try_number: int
    operator: str | None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class RunState:
    """A DAG run as Airflow records it, with its task instances."""

    dag_id: str
    run_id: str
    state: str | None
    interval_start: datetime | None = None
    interval_end: datetime | None = None
    tasks: list[TaskRun] = field(default_factory=list)


@dataclass(frozen=True)
class Wait:
    """A task of a running DAG run that waits (deferred to the triggerer, or between pokes).

    ``rendered`` holds the task's rendered template fields as Airflow stored them (e.g. the
    archive sensor's ``archive_root``): paths and ids, never message text. ``since`` is when
    the task's current try started, ``until`` when the wait times out (deferred tasks)."""

    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    state: str
    operator: str | None
    since: datetime | None
    until: datetime | None = None
    interval_start: datetime | None = None
    interval_end: datetime | None = None
    rendered: Mapping[str, Any] = field(default_factory=dict)

    @property
    def archive_root(self) -> str | None:
        value = self.rendered.get("archive_root")
        return value if isinstance(value, str) and value else None

    def day_folders(self) -> list[str]:
        """The ``<archive_root>/YYYY/MM/DD`` folders of the run's data interval: what an
        archive sensor waits for (the same day rule as ``list_archive_files``)."""
        root = self.archive_root
        if root is None or self.interval_start is None or self.interval_end is None:
            return []
        return [str(PurePosixPath(root) / f"{d.year:04d}" / f"{d.month:02d}" / f"{d.day:02d}")
                for d in _days(self.interval_start, self.interval_end)]


@dataclass(frozen=True)
class DagSetup:
    """An intakeflow DAG as Airflow knows it: paused or not, and its param defaults."""

    dag_id: str
    paused: bool | None
    params: Mapping[str, Any] = field(default_factory=dict)


class AirflowView(Protocol):
    """Read-only views of Airflow's own records. Any method may raise when Airflow's
    database cannot be read; the page then says so and shows what the store alone knows."""

    def run(self, dag_id: str, run_id: str) -> RunState | None:
        """The DAG run and its task instances; ``None`` when Airflow has no such run."""
        ...

    def waits(self, dag_id: str | None) -> list[Wait]:
        """Waiting tasks of running DAG runs (of ``dag_id``, else of the intakeflow DAGs)."""
        ...

    def dags(self) -> list[DagSetup]:
        """The DAGs tagged ``intakeflow``."""
        ...


# -- links into the Airflow 3 UI ----------------------------------------------------------------
# Routes of the UI shipped with Airflow 3.3 (airflow/ui/src/router.tsx): a DAG run is
# /dags/{dag_id}/runs/{run_id}; a task instance is .../tasks/{task_id}, or
# .../tasks/{task_id}/mapped/{map_index} for one mapped instance (its first tab is the log).


def _seg(value: str) -> str:
    return quote(value, safe="")


def airflow_dag_url(dag_id: str) -> str:
    return f"../dags/{_seg(dag_id)}"


def airflow_run_url(dag_id: str, run_id: str) -> str:
    return f"{airflow_dag_url(dag_id)}/runs/{_seg(run_id)}"


def airflow_task_url(dag_id: str, run_id: str, task_id: str, map_index: int | None = -1) -> str:
    """The task instance's page (its log) in the Airflow UI; ``map_index`` ``None`` means
    the list of a mapped task's instances."""
    url = f"{airflow_run_url(dag_id, run_id)}/tasks/{_seg(task_id)}"
    if map_index is None:
        return f"{url}/mapped"
    return url if map_index < 0 else f"{url}/mapped/{map_index}"


def waits_of(waits: Sequence[Wait], dag_id: str, run_id: str) -> list[Wait]:
    return [w for w in waits if w.dag_id == dag_id and w.run_id == run_id]


def _days(start: datetime, end: datetime) -> list[date]:
    s, e = _utc(start), _utc(end)
    days, day = [], s.date()
    while e > s and datetime(day.year, day.month, day.day, tzinfo=UTC) < e:
        days.append(day)
        day += timedelta(days=1)
    return days


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
