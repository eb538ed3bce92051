from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="intakeflow-airflow-"))

import pytest
from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse, FastAPIAppResponse, ReactAppResponse
from airflow.sdk._shared.plugins_manager import AirflowPluginException, is_valid_plugin
from fastapi import FastAPI
from fastapi.testclient import TestClient

from intakeflow.plugins import plugin
from intakeflow.plugins.plugin import IntakeflowPlugin


def test_plugin_is_valid_and_named() -> None:
    assert is_valid_plugin(IntakeflowPlugin)
    IntakeflowPlugin.validate()
    assert IntakeflowPlugin.name == "intakeflow"


def test_plugin_adds_only_the_monitoring_page() -> None:
    # operators/hooks/triggers come through the provider entry point, not the plugin
    for attr in ("macros", "listeners", "operator_extra_links", "timetables"):
        assert getattr(IntakeflowPlugin, attr) == []
    (entry,) = IntakeflowPlugin.fastapi_apps
    assert isinstance(entry["app"], FastAPI)
    FastAPIAppResponse.model_validate({**entry, "app": "x"})
    assert entry["url_prefix"] == "/intakeflow"


def test_ui_entries_are_valid_airflow_external_views() -> None:
    views = [ExternalViewResponse.model_validate(v) for v in IntakeflowPlugin.external_views]
    assert {(v.destination, v.href) for v in views} == {
        ("dag_run", "/intakeflow/run?dag_id={DAG_ID}&run_id={RUN_ID}"),
    }


def test_the_dashboard_is_a_react_app_served_by_the_plugins_own_app() -> None:
    from intakeflow.plugins.monitoring import console

    (app,) = [ReactAppResponse.model_validate(a) for a in IntakeflowPlugin.react_apps]
    assert (app.destination, app.category, app.url_route) == ("nav", "browse", "intakeflow")
    # relative to Airflow's <base href>, and the route the monitoring app serves the bundle on
    assert app.bundle_url == plugin.URL_PREFIX.lstrip("/") + console.BUNDLE_ROUTE
    assert console.BUNDLE.is_file()
    # Airflow drops a UI entry whose url_route another one took
    routes = [v["url_route"] for v in (*IntakeflowPlugin.external_views, *IntakeflowPlugin.react_apps)]
    assert len(routes) == len(set(routes))


@pytest.mark.parametrize("path", ["/", "/run?dag_id=d&run_id=r", "/api/dashboard", "/api/run?dag_id=d&run_id=r",
                                  "/console.js", "/api/console/dashboard"])
def test_every_route_needs_an_airflow_login(path: str) -> None:
    from airflow.api_fastapi.app import create_auth_manager

    create_auth_manager()  # what the API server does at start; it verifies tokens
    client = TestClient(plugin.monitoring_app())
    assert client.get(path).status_code == 401
    client.cookies.set("_token", "not-a-jwt")
    assert client.get(path).status_code in (401, 403)
    client.cookies.clear()
    assert client.get(path, headers={"Authorization": "Bearer not-a-jwt"}).status_code in (401, 403)


def test_settings_come_from_the_intakeflow_config_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__INTAKEFLOW__MONITOR_POSTGRES_CONN_ID", "store_pg")
    monkeypatch.setenv("AIRFLOW__INTAKEFLOW__MONITOR_SCHEMAS", " intake_a, intake_b ,")
    assert plugin.monitor_settings() == ("store_pg", ["intake_a", "intake_b"])
    monkeypatch.delenv("AIRFLOW__INTAKEFLOW__MONITOR_SCHEMAS")
    assert plugin.monitor_settings()[1] == ["intakeflow"]


def test_a_nameless_plugin_is_rejected() -> None:
    class Nameless(IntakeflowPlugin):
        name = None  # type: ignore[assignment]

    with pytest.raises(AirflowPluginException, match="name"):
        Nameless.validate()


def test_the_first_run_guide_names_the_archive_root_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the DAG is parsed the guide shows ``[intakeflow] archive_root`` as the archive
    DAG's default (docs/run-in-your-airflow.md sets it for every component)."""
    from intakeflow.plugins.monitoring import app as monitoring

    seen: dict[str, object] = {}
    monkeypatch.setattr(monitoring, "create_app", lambda *args, **kwargs: seen.update(kwargs))
    monkeypatch.setenv("AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT", "/srv/site-archive")
    plugin.monitoring_app.cache_clear()
    try:
        plugin.monitoring_app()
    finally:
        plugin.monitoring_app.cache_clear()
    assert seen["archive_default"] == "/srv/site-archive"
