"""
### intakeflow watchdog (every minute)

Runs intakeflow's health checks on the store and sends alerts through Airflow notifiers
(SMTP, Slack, or any `BaseNotifier`), as the Airflow Variable `intakeflow_alerts` says
(thresholds, per-source overrides, notifiers; README section "Alerts"; without the
Variable every default applies and alerts are only recorded and shown on the monitoring
page).

| check | code | fires when (defaults) |
|---|---|---|
| backlog | E120 | oldest queued message of a source older than `backlog_age_s` (600), nothing claimed or processed since |
| quarantine_share | E121 | over `quarantine_share` (20 %) of a source's inputs in `quarantine_window_s` (1 h) quarantined |
| feed_silent | E122 | no input from a listener's source (or one in `feed_sources`) for `feed_silent_s` (900) |
| listener_down | E123 | an MLLP listener's heartbeat older than `listener_down_s` (180) |
| writeback | E124 | a message's last FHIR write-back failed in the last `writeback_window_s` (900) |

* **Once per change**: an alert fires when its condition starts and resolves when it has
  been clear for `resolve_after_s` (120), not every minute; the state is in the store's
  `alerts` table, so reruns and overlapping runs send nothing twice.
* **A DAG of its own**, not a task of the intake DAGs: it must run when they do not (paused,
  stuck, failing), and one run covers every source of the store.
* A notifier that fails is tried again at the next run, and the run fails (E125) so it shows.
* XCom carries counts and catalogue codes only, never message text.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, CronTriggerTimetable, Param

from intakeflow.provider.dag_defaults import DEFAULT_ARGS, DEFAULT_SCHEMA, START_DATE, STORE_ARGS
from intakeflow.provider.operators.watchdog import WatchdogOperator

with DAG(
    dag_id="intakeflow_watchdog",
    description="Health checks on the intakeflow store; alerts through Airflow notifiers, once per change",
    schedule=CronTriggerTimetable("* * * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=5),
    # the next run, a minute later, is the retry: alert state and pending notifications are in the store
    default_args={**DEFAULT_ARGS, "retries": 0},
    doc_md=__doc__,
    tags=["intakeflow", "alerts"],
    params={
        "postgres_conn_id": Param("intakeflow_postgres", type="string", description="Postgres connection of the store"),
        "store_schema": Param(
            DEFAULT_SCHEMA, type="string", pattern="^[a-z_][a-z0-9_]{0,62}$", description="Schema of the store"
        ),
    },
) as dag:
    WatchdogOperator(task_id="check", execution_timeout=timedelta(minutes=2), **STORE_ARGS)
