"""A task's counts as Airflow metrics and as the extra of its outlet asset events.

Metric names are ``intakeflow.<stage>.<count>`` and ``intakeflow.<stage>.<group>.<label>``
(Airflow adds its own ``[metrics] statsd_prefix`` / OpenTelemetry prefix in front). Labels
come from fixed vocabularies (intents, queues, PHI and insurance types, error codes); a key
that does not look like one is counted as ``other``, so no free text can become a metric
name. Asset extras carry the same counts and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, TypeGuard

from airflow.sdk import Asset
from airflow.sdk.observability import stats

PREFIX = "intakeflow"
ASSET_SCHEME = "intakeflow"
#: per-message stage timings go out as timers, not counters, and stay out of asset extras
TIMINGS_KEY = "timings_ms"

_SAFE_LABEL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_TEMPLATED = re.compile(r"{{|{%")


def stage_asset(schema: str, stage: str) -> Asset:
    """The asset a stage of one store updates: ``intakeflow://<schema>/messages/<stage>``."""
    return Asset(uri=f"{ASSET_SCHEME}://{schema}/messages/{stage}", group=ASSET_SCHEME)


def with_default_outlets(kwargs: dict[str, Any], schema: str, stage: str) -> dict[str, Any]:
    """Operator kwargs with the stage's asset as outlet unless the caller set outlets.

    Outlets are fixed when the DAG is parsed, so a templated schema (known only at run
    time) gets no default: pass ``outlets=[stage_asset(<schema>, <stage>)]`` explicitly, as
    the example DAGs do for their default store. (Asset aliases would follow the rendered
    schema, but Airflow 3.3 creates an alias's target and link on first use without a lock:
    two tasks finishing together fail one with a unique violation.)
    """
    if "outlets" in kwargs or _TEMPLATED.search(schema):
        return kwargs
    return {**kwargs, "outlets": [stage_asset(schema, stage)]}


def _label(key: object) -> str:
    text = str(key)
    return text if _SAFE_LABEL.match(text) else "other"


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def counts_only(counts: Mapping[str, Any]) -> dict[str, Any]:
    """Numeric counts and label -> count maps; everything else (timings, strings) left out."""
    out: dict[str, Any] = {}
    for key, value in counts.items():
        if key == TIMINGS_KEY:
            continue
        if _is_number(value):
            out[_label(key)] = value
        elif isinstance(value, Mapping):
            group: dict[str, int | float] = {}
            for label, n in value.items():
                if _is_number(n):
                    group[_label(label)] = group.get(_label(label), 0) + n
            out[_label(key)] = group
    return out


def metric_counts(stage: str, counts: Mapping[str, Any]) -> Iterator[tuple[str, int]]:
    """``(metric name, count)`` for every count of a task."""
    for key, value in counts_only(counts).items():
        if isinstance(value, Mapping):
            for label, n in value.items():
                yield f"{PREFIX}.{stage}.{key}.{label}", int(n)
        else:
            yield f"{PREFIX}.{stage}.{key}", int(value)


def metric_timings(stage: str, counts: Mapping[str, Any]) -> Iterator[tuple[str, float]]:
    """Mean milliseconds per claimed message for each pipeline stage, when there are any."""
    timings = counts.get(TIMINGS_KEY)
    claimed = counts.get("claimed")
    messages = float(claimed) if _is_number(claimed) else 0.0
    if not isinstance(timings, Mapping) or messages <= 0:
        return
    for label, total in timings.items():
        if _is_number(total):
            yield f"{PREFIX}.{stage}.latency_ms.{_label(label)}", float(total) / messages


def publish(task: Any, context: Any, stage: str, counts: Mapping[str, Any]) -> None:
    """Send the counts as metrics and attach them to the task's intakeflow outlet events."""
    tags = {"dag_id": str(task.dag_id), "task_id": str(task.task_id)}
    for name, n in metric_counts(stage, counts):
        stats.incr(name, count=n, tags=tags)
    for name, ms in metric_timings(stage, counts):
        stats.timing(name, ms, tags=tags)
    events = context.get("outlet_events") if isinstance(context, Mapping) else None
    if events is None:
        return  # called outside a task run (unit tests, direct execute())
    extra = counts_only(counts)
    schema = str(getattr(task, "store_schema", "") or "")
    if schema and not _TEMPLATED.search(schema):
        # which store the counts are of: a DAG with a templated schema declares the default
        # store's asset as outlet, and a run may have written to another store
        extra["store_schema"] = schema
    for outlet in task.outlets or ():
        if isinstance(outlet, Asset) and outlet.uri.startswith(f"{ASSET_SCHEME}://"):
            events[outlet].extra = dict(extra)
