"""Small pieces every intakeflow operator shares: store access, claim tokens, versions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import psycopg

from intakeflow.errors import E, IntakeflowError, SinkError
from intakeflow.provider.hooks.store import StoreHook
from intakeflow.store import Store

#: for store calls that touch no message rows (schema migration, run statistics)
ANY_VERSION = "any"


def pipeline_version(model_path: str | Path | None = None) -> str:
    """The version the pipeline will report, read without loading the model."""
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, artifact_version  # onnxruntime: only when run

    return artifact_version(model_path if model_path is not None else DEFAULT_ARTIFACT)


P = ParamSpec("P")
R = TypeVar("R")


def store_outage_coded(execute: Callable[P, R]) -> Callable[P, R]:
    """Wrap an operator's ``execute``: a lost or refused PostgreSQL connection becomes one
    coded line (SinkError E051 with the exception's type only: libpq messages name hosts,
    users and sometimes values) instead of a psycopg traceback. It is still an ordinary
    exception, so Airflow retries the task (``retries``); claims are keyed by a token that is
    stable across retries, so the retry resumes what the failed try had claimed."""

    @functools.wraps(execute)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return execute(*args, **kwargs)
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise SinkError(E.E051_STORE_UNREACHABLE, kind=type(exc).__name__) from None

    return wrapper


def open_store(postgres_conn_id: str, schema: str, version: str, **options: Any) -> Store:
    return StoreHook(postgres_conn_id).get_store(schema=schema, pipeline_version=version, **options)


def claim_token(context: Any) -> str:
    """Stable across retries of one task instance, distinct between mapped instances."""
    ti = context["ti"]
    return f"{context['run_id']}:{ti.task_id}:{ti.map_index}"


def interval(context: Any, start: datetime | str | None, end: datetime | str | None) -> tuple[datetime, datetime]:
    """The window to read: explicit values win, else the run's data interval."""
    lo = _as_datetime(start) if start else context["data_interval_start"]
    hi = _as_datetime(end) if end else context["data_interval_end"]
    if lo is None or hi is None:
        raise IntakeflowError(E.E050_CONFIG, why="no data interval: give start and end explicitly")
    return lo, hi


def since_of(context: Any, since: datetime | str | None) -> datetime:
    """An explicit start, else the start of the run's data interval."""
    value = _as_datetime(since) if since else context["data_interval_start"]
    if value is None:
        raise IntakeflowError(E.E050_CONFIG, why="no data interval: give since explicitly")
    return value


def _as_datetime(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
