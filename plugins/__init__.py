"""The intakeflow Airflow plugin (installed as ``intakeflow.plugins``, from the repository's
``plugins/`` folder): ``plugin`` holds ``IntakeflowPlugin``, registered through the
``airflow.plugins`` entry point, and ``monitoring`` the monitoring page it mounts in the API
server. The provider (hooks, operators, sensors, triggers) is ``intakeflow.provider``, from
the repository's ``operators/`` folder."""
