"""
### HL7 v2 live intake (every 5 minutes)

Processes the live HL7 v2 feed that `intakeflow mllp-listen` stages in PostgreSQL: the
listener commits each message before it acknowledges it (source `mllp`, or `mllp:<name>`
per listener), and this DAG runs the intakeflow pipeline over what is waiting, in small
batches, then records run statistics.

* **Small and steady**: at most `max_batches` batches of `batch_size` per run; what is
  left waits for the next run, five minutes later. One run at a time.
* **Same pipeline and sinks** as `hl7_archive_intake`; only the source filter differs, so
  archive and live rows never share a run.
* **Safe to retry**: claims carry a lease; a killed run leaves its rows to be claimed again.
* The listener stages under the pipeline version of its `--model`: deploy a new model to
  the listener and the workers together.
* XCom carries counts only, never message text.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, CronDataIntervalTimetable, Param

from intakeflow.provider.dag_defaults import DEFAULT_ARGS, START_DATE, STORE_ARGS, default_store_outlets, store_params
from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.provider.operators.store import MigrateStoreOperator, RecordRunOperator

with DAG(
    dag_id="hl7_live_intake",
    description="Process the live HL7 v2 feed staged by the MLLP listener, in small batches",
    schedule=CronDataIntervalTimetable("*/5 * * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(minutes=15),
    default_args=DEFAULT_ARGS,
    render_template_as_native_obj=True,
    doc_md=__doc__,
    tags=["intakeflow", "hl7", "mllp"],
    params={
        "source_name": Param(
            "mllp", type="string", pattern="^mllp(:[a-z0-9_-]+)?$", description="Staging source name of the listener"
        ),
        "max_batches": Param(20, type="integer", minimum=1, description="Batches per run; the rest waits for the next"),
        **store_params(),
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
        execution_timeout=timedelta(minutes=10),
        **default_store_outlets("processed"),
        **store_args,
    )
    record = RecordRunOperator(
        task_id="record_run",
        stages={"process": process.output},
        **store_args,
    )
    migrate >> process >> record
