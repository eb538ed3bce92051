"""The watchdog's health checks and alert state, Airflow-free.

- ``config``: the settings document (thresholds, per-source overrides, notifiers), read from
  the Airflow Variable ``intakeflow_alerts`` or, outside Airflow, a file or
  ``$AIRFLOW_VAR_INTAKEFLOW_ALERTS``;
- ``checks``: backlog not processed, quarantine share, feed silent, MLLP listener down, FHIR
  write-back failing; each result has a catalogue code (E120-E124) and figures, never text;
- ``state``: alert rows in the store, so an alert fires and resolves once (de-duplication),
  and each notifier is told each change once;
- ``message``: what an alert says; ``watchdog``: one round (checks, state, notifications).

The MLLP listener's heartbeat, which the listener checks read, is ``intakeflow.mllp.heartbeat``.

The watchdog DAG (``dags/intakeflow_watchdog.py``) runs a round every minute through the
provider's ``WatchdogOperator``; ``intakeflow health`` runs the checks from a shell.
Functions taking a connection expect it in autocommit mode (:func:`watchdog.connect`).
"""

# No re-exports: the modules are imported by name, so that the model commands of the
# ``intakeflow`` CLI (which build the ``health`` sub-parser) need no database driver.
