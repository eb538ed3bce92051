"""
### HL7 v2 live intake (as messages arrive, and every 5 minutes)

Processes the live HL7 v2 feed that `intakeflow mllp-listen` stages in PostgreSQL: the
listener commits each message before it acknowledges it (source `mllp`, or `mllp:<name>`
per listener), and this DAG runs the intakeflow pipeline over what is waiting, in small
batches, then records run statistics.

* **Event-driven**: the listener sends a PostgreSQL `NOTIFY` (channel `intakeflow_staged`)
  in the transaction that stages messages. The asset `intakeflow://intakeflow/messages/queued/mllp`
  has an `AssetWatcher` whose `StagedMessagesTrigger` (in the triggerer: no worker slot)
  `LISTEN`s and starts a run within about a second. Safety net: it also looks at the queue
  every 5 s and fires when an unclaimed message has waited 5 s, so a lost notification
  cannot leave messages unseen; it reconnects with backoff and logs every failure.
* **Catch-up**: the 5-minute cron stays (`AssetOrTimeSchedule`), for anything else.
* **A run drains, then lingers**: `process` takes batches until the queue is empty, then
  keeps taking new messages as they are staged (woken by the same `NOTIFY`, claimed at once
  whenever one of its `workers` is idle, at most `batch_size` at a time) until none has
  come for `linger_s` (300) seconds, or `max_run_s` (3300) has passed; a run that finds
  nothing ends at once. One run at a time: events during a run start the next one after
  it. Long runs because starting one costs seconds of backlog: a steady feed pays it about
  once an hour.
* **Same pipeline and sinks** as `hl7_archive_intake`; only the source filter differs, so
  archive and live rows never share a run.
* **Safe to retry**: claims carry a lease; a killed run leaves its rows to be claimed again.
* The listener stages under the pipeline version of its `--model`: deploy a new model to
  the listener and the workers together.
* The watcher's store, sources and channel are fixed when this file is parsed:
  `INTAKEFLOW_LIVE_CONN_ID` (`intakeflow_postgres`), `INTAKEFLOW_LIVE_SCHEMA` (`intakeflow`),
  `INTAKEFLOW_LIVE_SOURCES` (`mllp`, comma-separated) and `INTAKEFLOW_LIVE_CHANNEL`
  (`intakeflow_staged`) in the DAG processor's environment change them, and with them the
  store and channel a run uses unless its params say otherwise; `INTAKEFLOW_LIVE_LINGER_S`
  (300) sets how long a run lingers. A run's params choose what `process` claims.
* XCom and asset events carry counts only, never message text.
"""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import DAG, Asset, AssetOrTimeSchedule, AssetWatcher, CronDataIntervalTimetable, Param

from intakeflow.provider.dag_defaults import DEFAULT_ARGS, START_DATE, STORE_ARGS, default_store_outlets, store_params
from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.provider.operators.store import MigrateStoreOperator, RecordRunOperator
from intakeflow.provider.triggers.store import StagedMessagesTrigger

#: what the watcher watches; fixed at parse time (the trigger's arguments are part of the DAG)
LIVE_CONN_ID = os.environ.get("INTAKEFLOW_LIVE_CONN_ID", "intakeflow_postgres")
LIVE_SCHEMA = os.environ.get("INTAKEFLOW_LIVE_SCHEMA", "intakeflow")
LIVE_SOURCES = [s.strip() for s in os.environ.get("INTAKEFLOW_LIVE_SOURCES", "mllp").split(",") if s.strip()]
LIVE_CHANNEL = os.environ.get("INTAKEFLOW_LIVE_CHANNEL", "intakeflow_staged")

#: a run holds one worker slot for as long as the feed keeps coming, up to MAX_RUN_S: starting
#: a run (scheduler, three task processes, model load) costs seconds of backlog, paid once an hour
#: under a steady feed, and again only after LINGER_S without a message (a site short of worker
#: slots trades that backlog for the slot with INTAKEFLOW_LIVE_LINGER_S)
LINGER_S = float(os.environ.get("INTAKEFLOW_LIVE_LINGER_S", "300"))
MAX_RUN_S = 3300

mllp_queued = Asset(
    name="intakeflow_mllp_queued",
    uri=f"intakeflow://{LIVE_SCHEMA}/messages/queued/mllp",
    group="intakeflow",
    watchers=[AssetWatcher(
        name="intakeflow_mllp_staged",
        trigger=StagedMessagesTrigger(LIVE_CONN_ID, LIVE_SCHEMA, LIVE_SOURCES, channel=LIVE_CHANNEL),
    )],
)

with DAG(
    dag_id="hl7_live_intake",
    description="Process the live HL7 v2 feed staged by the MLLP listener, as it arrives",
    schedule=AssetOrTimeSchedule(timetable=CronDataIntervalTimetable("*/5 * * * *", timezone="UTC"), assets=mllp_queued),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(seconds=MAX_RUN_S + 900),
    default_args=DEFAULT_ARGS,
    render_template_as_native_obj=True,
    doc_md=__doc__,
    tags=["intakeflow", "hl7", "mllp"],
    params={
        "source_name": Param(
            "mllp", type="string", pattern="^mllp(:[a-z0-9_-]+)?$", description="Staging source name of the listener"
        ),
        "max_batches": Param(None, type=["null", "integer"], minimum=1,
                             description="Most batches per run; empty: no limit (max_run_s bounds the run)"),
        "linger_s": Param(LINGER_S, type="number", minimum=0, maximum=1800,
                          description="Once the queue is empty, keep taking new messages until none came for this long"),
        "max_run_s": Param(MAX_RUN_S, type="number", minimum=1, maximum=MAX_RUN_S,
                           description="Take no new batch after this many seconds (the next run goes on)"),
        "notify_channel": Param(LIVE_CHANNEL, type="string", pattern="^[a-z_][a-z0-9_]{0,62}$",
                                description="NOTIFY channel of the listener (wakes a lingering run)"),
        "workers": Param(2, type="integer", minimum=1, maximum=16,
                         description="Batches in the pipeline at once, one core each at most"),
        # a run started by the watcher or the cron processes the store the watcher watches
        **store_params(LIVE_CONN_ID, LIVE_SCHEMA),
        # small batches: a message never waits behind a long one (a batch of 16 is about a
        # third of a second of model time on one core here); a steady feed fills fewer anyway
        "batch_size": Param(16, type="integer", minimum=1, maximum=1000, description="Most messages per pipeline batch"),
    },
) as dag:
    store_args = STORE_ARGS
    migrate = MigrateStoreOperator(task_id="migrate_store", **store_args)
    process = ProcessMessagesOperator(
        task_id="process",
        sources=["{{ params.source_name }}"],
        batch_size="{{ params.batch_size }}",
        max_batches="{{ params.max_batches }}",
        model_path="{{ params.model_path }}",
        linger_s="{{ params.linger_s }}",
        max_run_s="{{ params.max_run_s }}",
        notify_channel="{{ params.notify_channel }}",
        workers="{{ params.workers }}",
        execution_timeout=timedelta(seconds=MAX_RUN_S + 300),
        **default_store_outlets("processed"),
        **store_args,
    )
    record = RecordRunOperator(
        task_id="record_run",
        stages={"process": process.output},
        **store_args,
    )
    migrate >> process >> record
