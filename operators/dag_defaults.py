"""Settings the example DAGs share: retries and the params every run can override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import Param, task

from intakeflow.provider.operators._metrics import stage_asset

START_DATE = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_SCHEMA = "intakeflow"
#: ``hl7_archive_intake``'s default ``archive_root`` when ``[intakeflow] archive_root`` is not set:
#: a placeholder (the monitoring page's first-run guide says whether it exists)
DEFAULT_ARCHIVE_ROOT = "/data/hl7-archive"



def archive_root_default() -> str:
    """``hl7_archive_intake``'s ``archive_root`` default: ``[intakeflow] archive_root``
    (``AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT``) as the DAG processor reads it when it parses the
    DAG, else the placeholder. A setting, not an edit of the DAG file, so that scheduled runs
    (which take the param defaults) read a site's archive and the example DAG is used unchanged."""
    from airflow.sdk.configuration import conf

    return conf.get("intakeflow", "archive_root", fallback=None) or DEFAULT_ARCHIVE_ROOT


DEFAULT_ARGS: dict[str, Any] = {
    "owner": "intakeflow",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
}

def default_store_outlets(stage: str) -> dict[str, Any]:
    """Operator kwargs naming the default store's asset of ``stage`` as outlet. Outlets are
    fixed when the DAG is parsed and the schema is a run param, so a run that writes to
    another store still updates this asset; its event's extra says which store
    (``store_schema``)."""
    return {"outlets": [stage_asset(DEFAULT_SCHEMA, stage)]}


#: operator arguments that point at the store named by the run's params (see store_params)
STORE_ARGS: dict[str, Any] = {
    "postgres_conn_id": "{{ params.postgres_conn_id }}",
    "store_schema": "{{ params.store_schema }}",
}


def store_params(conn_id: str = "intakeflow_postgres", schema: str = DEFAULT_SCHEMA) -> dict[str, Param]:
    """The store a run reads and writes; ``conn_id`` and ``schema`` are the defaults a run
    started by the schedule or an asset event gets."""
    return {
        "postgres_conn_id": Param(conn_id, type="string", description="Postgres connection of the store"),
        "store_schema": Param(
            schema, type="string", pattern="^[a-z_][a-z0-9_]{0,62}$", description="Schema of the store"
        ),
        "batch_size": Param(64, type="integer", minimum=1, maximum=1000, description="Messages per pipeline batch"),
        "model_path": Param(None, type=["null", "string"], description="Model artifact folder; empty = bundled"),
    }


def write_back_params(default: bool) -> dict[str, Param]:
    return {
        "fhir_conn_id": Param("intakeflow_fhir", type="string", description="FHIR connection for write-back"),
        "write_back": Param(default, type="boolean", description="Write results back to the FHIR server"),
    }


@task.short_circuit(ignore_downstream_trigger_rules=False)
def write_back_enabled(params: dict[str, object] | None = None) -> bool:
    """Skips write-back (and only write-back: record_run still runs) unless the run's
    ``write_back`` param is true."""
    return bool(params and params.get("write_back"))
