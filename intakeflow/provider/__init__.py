"""The Airflow provider: hooks, operators, sensors and triggers, the provider metadata
(``get_provider_info``), the plugin that mounts the monitoring page (``plugin``) and the
settings the example DAGs in the repository's ``dags/`` share (``dag_defaults``). Thin
wrappers around the Airflow-free core of ``intakeflow``."""
