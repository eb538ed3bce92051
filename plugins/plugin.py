"""The intakeflow Airflow plugin, registered through the ``airflow.plugins`` entry point.

It adds the monitoring page (``intakeflow.plugins.monitoring``) to the API server under
``/intakeflow/``, with two UI entries: "intakeflow" in the Browse menu (the dashboard, a
React app drawn with Airflow's own React and Chakra UI, ``monitoring/console.py``) and an
"intakeflow" tab on every DAG run (that run's counts, tasks and quarantine list). The
server-rendered dashboard stays at ``/intakeflow/``. Task
states and waiting sensors come from Airflow's metadata database
(``intakeflow.plugins.airflow_state``). Every route
requires an Airflow login and read access to DAG runs (of the DAG in ``dag_id`` when one
is given): a logged-out browser gets 401. Actions (reprocessing a quarantined message from
the message browser) also need edit permission on the message's DAG, asked of Airflow's
auth manager (``intakeflow.plugins.airflow_actor``), and are recorded in the store's audit
table. Operators, hooks and triggers reach Airflow through the provider entry point instead.

Settings, in ``airflow.cfg`` or as ``AIRFLOW__INTAKEFLOW__*`` variables:
``[intakeflow] monitor_postgres_conn_id`` (default ``intakeflow_postgres``) and
``monitor_schemas`` (comma-separated store schemas; the first is the default).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from airflow.sdk.plugins_manager import AirflowPlugin

URL_PREFIX = "/intakeflow"
#: the console's bundle, served by the monitoring app; Airflow's UI resolves it against its
#: ``<base href>``, so no leading slash: a deployment under a sub-path still finds it
CONSOLE_BUNDLE_URL = "intakeflow/console.js"
#: the defaults of the provider's ``[intakeflow]`` config section (operators/get_provider_info.py)
DEFAULT_CONN_ID = "intakeflow_postgres"
DEFAULT_SCHEMAS = "intakeflow"


def monitor_settings() -> tuple[str, list[str]]:
    from airflow.configuration import conf

    conn_id = conf.get("intakeflow", "monitor_postgres_conn_id", fallback=DEFAULT_CONN_ID)
    raw = conf.get("intakeflow", "monitor_schemas", fallback=DEFAULT_SCHEMAS)
    schemas = [s.strip() for s in raw.split(",") if s.strip()]
    return conn_id, schemas or [DEFAULT_SCHEMAS]


def store_dsn(conn_id: str) -> str:
    """The store's DSN from an Airflow connection, looked up with the API server's own
    secrets backends (environment, metadata database, configured backends)."""
    from airflow.models.connection import Connection

    from intakeflow.provider.hooks.store import dsn_from_connection

    return dsn_from_connection(Connection.get_connection_from_secrets(conn_id))


@lru_cache(maxsize=1)
def monitoring_app() -> Any:
    # imported here: workers and the scheduler load plugins too, and need none of this
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.core_api.security import requires_access_dag

    from intakeflow.plugins.airflow_actor import airflow_actor
    from intakeflow.plugins.airflow_state import MetadataDbView
    from intakeflow.plugins.monitoring.app import create_app
    from intakeflow.provider.dag_defaults import archive_root_default

    conn_id, schemas = monitor_settings()
    return create_app(lambda: store_dsn(conn_id), schemas,
                      dependencies=[requires_access_dag("GET", DagAccessEntity.RUN)],
                      airflow=MetadataDbView(), store_conn_id=conn_id, archive_default=archive_root_default(),
                      actor=airflow_actor)


class _MonitoringApps:
    """``fastapi_apps`` built on first read, so that only the API server builds the app."""

    def __get__(self, obj: object, owner: type | None = None) -> list[dict[str, Any]]:
        return [{"app": monitoring_app(), "url_prefix": URL_PREFIX, "name": "intakeflow monitoring"}]


class IntakeflowPlugin(AirflowPlugin):
    name = "intakeflow"
    fastapi_apps = _MonitoringApps()
    # the dashboard: a React app Airflow's UI renders in its own page (monitoring/console.py)
    react_apps = [  # noqa: RUF012 (Airflow declares it a plain list attribute)
        {
            "name": "intakeflow",
            "bundle_url": CONSOLE_BUNDLE_URL,
            "url_route": "intakeflow",
            "destination": "nav",
            "category": "browse",
        },
    ]
    external_views = [  # noqa: RUF012 (Airflow declares it a plain list attribute)
        {  # the message browser (server-rendered, in Airflow's iframe): search, history, reprocess, audit
            "name": "intakeflow messages",
            "href": f"{URL_PREFIX}/messages",
            "url_route": "intakeflow-messages",
            "destination": "nav",
            "category": "browse",
        },
        {
            "name": "intakeflow",
            "href": f"{URL_PREFIX}/run?dag_id={{DAG_ID}}&run_id={{RUN_ID}}",
            "url_route": "intakeflow-run",
            "destination": "dag_run",
        },
    ]
