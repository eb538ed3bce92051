"""intakeflow: route, redact and extract inbound patient messages.

The Airflow-free core lives in this package (sources, store, pipeline, write-back, CLI); the
Airflow provider (hooks, operators, sensors, triggers, the plugin) lives in
``intakeflow.provider`` and is the only part that imports Airflow.
"""

__version__ = "0.1.0"
