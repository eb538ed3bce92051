"""Airflow notifiers for intakeflow's alerts: ``alerts`` builds, from the ``notifiers`` of the
``intakeflow_alerts`` settings, one sender per notifier over Airflow's own notifier classes
(``SmtpNotifier``, the Slack provider's, any ``BaseNotifier``) and holds ``LogNotifier``."""
