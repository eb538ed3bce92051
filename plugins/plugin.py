"""The intakeflow Airflow plugin, registered through the ``airflow.plugins`` entry point.

It is deliberately empty for now: operators, hooks and triggers reach Airflow through the
provider entry point, so the plugin exists only as the anchor for UI pieces (a monitoring
``fastapi_apps`` page is planned) and must not grow macros or listeners without a user.
"""

from __future__ import annotations

from airflow.sdk.plugins_manager import AirflowPlugin


class IntakeflowPlugin(AirflowPlugin):
    name = "intakeflow"
