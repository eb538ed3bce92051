"""The Airflow provider (installed as ``intakeflow.provider``, from the repository's
``operators/`` folder): hooks, operators, sensors and triggers, the provider metadata
(``get_provider_info``) and the settings the example DAGs in the repository's ``dags/`` share
(``dag_defaults``). Thin wrappers around the Airflow-free core of ``intakeflow``. The plugin
that mounts the monitoring page is ``intakeflow.plugins``, from ``plugins/``."""
