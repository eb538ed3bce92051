from __future__ import annotations

import importlib
import json
from pathlib import Path

import airflow
import jsonschema
import pytest

from intakeflow.provider.get_provider_info import get_provider_info

INFO = get_provider_info()


def test_matches_airflow_provider_schema() -> None:
    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(INFO, schema)


@pytest.mark.parametrize("section", ["hooks", "operators", "triggers", "sensors"])
def test_declared_modules_import(section: str) -> None:
    modules = [m for entry in INFO[section] for m in entry["python-modules"]]
    assert modules
    for name in modules:
        importlib.import_module(name)


@pytest.mark.parametrize("conn", INFO["connection-types"], ids=lambda c: c["connection-type"])
def test_connection_types_point_at_their_hooks(conn: dict[str, object]) -> None:
    module, _, cls = str(conn["hook-class-name"]).rpartition(".")
    hook = getattr(importlib.import_module(module), cls)
    assert hook.conn_type == conn["connection-type"]
    assert hook.hook_name == conn["hook-name"]
    assert callable(hook.test_connection)
    # Airflow 3.2+ reads the form from here; the hooks must not define the deprecated methods
    assert "get_connection_form_widgets" not in vars(hook) and "get_ui_field_behaviour" not in vars(hook)


def test_config_section_defaults_are_the_plugins() -> None:
    from intakeflow.plugins import plugin

    options = INFO["config"]["intakeflow"]["options"]
    assert options["monitor_postgres_conn_id"]["default"] == plugin.DEFAULT_CONN_ID
    assert options["monitor_schemas"]["default"] == plugin.DEFAULT_SCHEMAS


def test_archive_root_setting_is_the_archive_dags_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from intakeflow.provider import dag_defaults

    options = INFO["config"]["intakeflow"]["options"]
    assert options["archive_root"]["default"] == dag_defaults.DEFAULT_ARCHIVE_ROOT
    monkeypatch.delenv("AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT", raising=False)
    assert dag_defaults.archive_root_default() == dag_defaults.DEFAULT_ARCHIVE_ROOT
    monkeypatch.setenv("AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT", "/srv/site-archive")
    assert dag_defaults.archive_root_default() == "/srv/site-archive"
