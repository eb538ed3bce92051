"""intakeflow: route, redact and extract inbound patient messages.

The Airflow-free core lives in this package (``src/intakeflow/``: sources, store, pipeline,
write-back, CLI). The Airflow provider (hooks, operators, sensors, triggers) is
``intakeflow.provider``, from the repository's ``operators/`` folder, and the Airflow plugin with
the monitoring page ``intakeflow.plugins``, from ``plugins/`` (setup.py maps both); only they
import Airflow.
"""

__version__ = "0.1.0"
