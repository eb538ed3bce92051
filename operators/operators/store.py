"""Operators for the staging store itself: create/upgrade its schema, record run statistics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.operators.operators._common import ANY_VERSION, open_store


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
    """Create or upgrade the store schema (idempotent). XCom: migration versions applied now."""

    template_fields: Sequence[str] = ("postgres_conn_id", "store_schema")

    def __init__(
        self, *, postgres_conn_id: str = "postgres_default", store_schema: str = "intakeflow", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema

    def execute(self, context: Context) -> list[int]:
        applied = open_store(self.postgres_conn_id, self.store_schema, ANY_VERSION).migrate()
        self.log.info("store schema: %d migrations applied", len(applied))
        return applied


class RecordRunOperator(BaseOperator):
    """Sum the count dicts of upstream tasks per stage and store them with the run.

    ``stages`` maps a stage name to an upstream XCom (a dict, or a list of dicts from a
    mapped task). XCom: the merged counts.
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
