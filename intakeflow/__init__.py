"""intakeflow: route, redact and extract inbound patient messages.

The Airflow-free core lives in this package (parsing, pipeline, sinks); the Airflow
provider lives in ``intakeflow.operators`` and ``intakeflow.plugins``.
"""

__version__ = "0.1.0"
