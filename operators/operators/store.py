"""Operators for the staging store itself: create/upgrade its schema, record run statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.provider.operators._common import ANY_VERSION, open_store, store_outage_coded


def merge_counts(parts: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """Sum count dicts (nested dicts of counts are summed per key); ``None`` parts
    (skipped or empty mapped tasks) are ignored."""
    flat: dict[str, float] = {}
    nested: dict[str, Counter[str]] = {}
    for part in parts:
        for key, value in (part or {}).items():
            if isinstance(value, Mapping):
                nested.setdefault(key, Counter()).update({k: v for k, v in value.items() if isinstance(v, int | float)})
            elif isinstance(value, int | float) and not isinstance(value, bool):
                flat[key] = flat.get(key, 0) + value
    return {**flat, **{k: dict(v) for k, v in nested.items()}}


class MigrateStoreOperator(BaseOperator):
    """Create or upgrade the store schema (idempotent). XCom: migration versions applied now.

    Creates the schema if missing and applies the migrations it does not have yet, under
    an advisory lock (concurrent tasks wait for each other), so running it on every DAG run
    is cheap; an empty list means the schema was already current.

    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema to create or upgrade. Default ``intakeflow``. (templated)
    """

    template_fields: Sequence[str] = ("postgres_conn_id", "store_schema")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", store_schema: str = "intakeflow", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema

    @store_outage_coded
    def execute(self, context: Context) -> list[int]:
        applied = open_store(self.postgres_conn_id, self.store_schema, ANY_VERSION).migrate()
        self.log.info("store schema: %d migrations applied", len(applied))
        return applied


class RecordRunOperator(BaseOperator):
    """Sum the count dicts of upstream tasks per stage and store them with the run.

    ``stages`` maps a stage name to an upstream XCom (a dict, or a list of dicts from a
    mapped task). Nested count dicts are summed per key, ``None`` parts (skipped or empty
    mapped tasks) are ignored, and per-stage ``timings_ms`` are stored as the run's
    timings (``<stage>.<name>``). Storing is an upsert on the DAG run: keys given again
    overwrite, so a retry records the same figures. XCom: the merged counts.

    :param stages: Stage name -> upstream XCom (e.g. ``{"stage": stage.output, "process":
        process.output}``). (templated)
    :param postgres_conn_id: Postgres connection of the staging store. Default
        ``postgres_default``. (templated)
    :param store_schema: Database schema of the store. Default ``intakeflow``. (templated)
    """

    template_fields: Sequence[str] = ("postgres_conn_id", "store_schema", "stages")

    def __init__(
        self,
        *,
        stages: Mapping[str, Any],
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.stages = stages
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, Any]:
        stats: dict[str, Any] = {}
        timings: dict[str, float] = {}
        for name, value in self.stages.items():
            parts = [value] if isinstance(value, Mapping) or value is None else list(value)
            merged = merge_counts(parts)
            stage_timings = merged.pop("timings_ms", None)
            if isinstance(stage_timings, dict):
                timings.update({f"{name}.{k}": float(v) for k, v in stage_timings.items()})
            stats[name] = merged
        store = open_store(self.postgres_conn_id, self.store_schema, ANY_VERSION)
        store.record_run(str(context["run_id"]), self.dag_id, stats, timings)
        return stats
