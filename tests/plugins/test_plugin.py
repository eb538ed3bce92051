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
        ("nav", "/intakeflow/messages"),
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
                                  "/console.js", "/api/console/dashboard", "/messages", "/api/messages",
                                  "/message?id=1", "/api/message?id=1", "/audit", "/api/audit"])
def test_every_route_needs_an_airflow_login(path: str) -> None:
    from airflow.api_fastapi.app import create_auth_manager

    create_auth_manager()  # what the API server does at start; it verifies tokens
    client = TestClient(plugin.monitoring_app())
    assert client.get(path).status_code == 401
    client.cookies.set("_token", "not-a-jwt")
    assert client.get(path).status_code in (401, 403)
    client.cookies.clear()
    assert client.get(path, headers={"Authorization": "Bearer not-a-jwt"}).status_code in (401, 403)


@pytest.mark.parametrize("path", ["/reprocess", "/api/reprocess"])
def test_actions_need_an_airflow_login(path: str) -> None:
    from airflow.api_fastapi.app import create_auth_manager

    create_auth_manager()
    client = TestClient(plugin.monitoring_app())
    origin = {"Origin": "http://testserver"}
    assert client.post(path, data={"id": "1", "reason": "x", "request_id": "r"}, headers=origin).status_code == 401
    assert client.post(path, json={"ids": [1], "reason": "x", "request_id": "r"}, headers=origin).status_code == 401


@pytest.mark.parametrize(("role", "may_edit"), [("viewer", False), ("user", True), ("op", True), ("admin", True),
                                                (None, False)])
def test_edit_permission_is_the_auth_managers_put_on_the_dag(
    role: str | None, may_edit: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the console asks before it shows the reprocess button or takes the action:
    Airflow's auth manager (here the simple one, as ``airflow standalone`` runs it), PUT on
    the message's DAG, as Airflow's own API asks before changing a DAG's runs."""
    from airflow.api_fastapi.app import create_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
    from airflow.models.dag import DagModel

    from intakeflow.plugins.airflow_actor import AirflowActor

    create_auth_manager()
    asked: list[str] = []
    monkeypatch.setattr(DagModel, "get_team_name", staticmethod(lambda dag_id, **_: asked.append(dag_id)))
    actor = AirflowActor(SimpleAuthManagerUser(username="someone", role=role))
    assert actor.name == "someone"
    assert actor.can_edit("hl7_archive_intake") is may_edit and asked == ["hl7_archive_intake"]
    assert actor.can_edit(None) is may_edit and asked == ["hl7_archive_intake"]  # no DAG: no team to look up


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
