"""The watchdog operator: intakeflow's health checks, alert state and notifications, one round."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context

from intakeflow.errors import E, IntakeflowError
from intakeflow.health.config import VARIABLE, AlertConfig, loads, parse_config
from intakeflow.health.watchdog import connect, run_watchdog
from intakeflow.provider.notifications.alerts import build_senders
from intakeflow.provider.operators._common import ANY_VERSION, open_store, store_outage_coded


class WatchdogOperator(BaseOperator):
    """Run intakeflow's health checks on a store, record which alerts fired or resolved, and
    send each change once through the configured notifiers. XCom: counts only (``checks``,
    ``firing``, ``fired``, ``resolved``, ``sent``, ``notifiers_failed``, ``firing_codes``).

    The checks (``intakeflow.health.checks``): backlog not processed (E120), quarantine share
    (E121), feed silent (E122), MLLP listener down (E123), FHIR write-back failing (E124). An
    alert fires once when its condition starts and resolves once when it has cleared (state
    in the store's ``alerts`` table), whatever the schedule; a notifier that fails is told
    again at the next round, and the task then fails with E125 so the failure shows in
    Airflow. The store's schema is created or upgraded first (as ``MigrateStoreOperator``).

    :param postgres_conn_id: Postgres connection of the store. Default ``postgres_default``.
        (templated)
    :param store_schema: Schema of the store. Default ``intakeflow``. (templated)
    :param alert_config: The alert settings as a dict or JSON text (thresholds, per-source
        overrides, notifiers; see ``intakeflow.health.config``). Default ``None``: read the
        Airflow Variable ``config_variable``. (templated)
    :param config_variable: Airflow Variable holding the settings as JSON. Default
        ``intakeflow_alerts``; when it does not exist, every default applies and no notifier
        is set (alerts are recorded and shown on the monitoring page only). An invalid
        document fails the task (E050) rather than alerting on defaults.
    :param fail_on_notifier_error: Fail the task (E125) when a notifier could not send.
        Default ``True``.
    """

    template_fields: Sequence[str] = ("postgres_conn_id", "store_schema", "alert_config")

    def __init__(
        self,
        *,
        postgres_conn_id: str = "postgres_default",
        store_schema: str = "intakeflow",
        alert_config: Mapping[str, Any] | str | None = None,
        config_variable: str = VARIABLE,
        fail_on_notifier_error: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = store_schema
        self.alert_config = alert_config
        self.config_variable = config_variable
        self.fail_on_notifier_error = fail_on_notifier_error

    def settings(self) -> AlertConfig:
        if isinstance(self.alert_config, Mapping):
            return parse_config(self.alert_config)
        if isinstance(self.alert_config, str) and self.alert_config.strip():
            return loads(self.alert_config)
        from airflow.sdk import Variable

        return loads(Variable.get(self.config_variable, default=None))

    @store_outage_coded
    def execute(self, context: Context) -> dict[str, Any]:
        config = self.settings()
        store = open_store(self.postgres_conn_id, self.store_schema, ANY_VERSION)
        store.migrate()
        senders = build_senders(config.notifier_names(), config.notifiers, context)
        if not senders:
            self.log.info("no notifier configured (Variable %s): alerts are recorded and shown on the monitoring "
                          "page only", self.config_variable)
        with connect(store.dsn, connect_timeout=10) as conn:
            outcome = run_watchdog(conn, self.store_schema, config, senders)
        counts = outcome.counts()
        for result in outcome.evaluation.firing:
            self.log.warning("%s", result.sentence())
        self.log.info("watchdog: %s", counts)
        if outcome.failed and self.fail_on_notifier_error:
            name, kind = sorted(outcome.failed.items())[0]
            raise IntakeflowError(E.E125_NOTIFIER_FAILED, name=name, kind=kind)
        return counts
