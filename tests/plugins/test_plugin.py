from __future__ import annotations

import os
import tempfile

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="intakeflow-airflow-"))

import pytest
from airflow.sdk._shared.plugins_manager import AirflowPluginException, is_valid_plugin

from intakeflow.plugins.plugin import IntakeflowPlugin


def test_plugin_is_valid_and_named() -> None:
    assert is_valid_plugin(IntakeflowPlugin)
    IntakeflowPlugin.validate()
    assert IntakeflowPlugin.name == "intakeflow"


def test_plugin_registers_nothing_yet() -> None:
    # operators/hooks/triggers come through the provider entry point, not the plugin
    for attr in ("macros", "listeners", "fastapi_apps", "operator_extra_links", "timetables"):
        assert getattr(IntakeflowPlugin, attr) == []


def test_a_nameless_plugin_is_rejected() -> None:
    class Nameless(IntakeflowPlugin):
        name = None  # type: ignore[assignment]

    with pytest.raises(AirflowPluginException, match="name"):
        Nameless.validate()
