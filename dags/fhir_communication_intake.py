"""
### FHIR Communication intake (hourly)

Each run reads the Communications **last updated inside its data interval**
(`_lastUpdated` in `[data_interval_start, data_interval_end)`), stages them in PostgreSQL,
runs the intakeflow pipeline, and writes the results back to the FHIR server (intent on
the source Communication, a redacted derived Communication, a routing Task, Coverage when
the insurance fields allow, and Provenance).

* **Incremental and catchup-safe**: windows never overlap; staging is idempotent on the
  Communication id and write-back uses conditional creates, so retries and re-runs of a
  window add nothing twice.
* Set `write_back` to false to process without touching the server.
* XCom carries counts only, never message text.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, CronDataIntervalTimetable, Param

from intakeflow.provider.dag_defaults import (
    DEFAULT_ARGS,
    START_DATE,
    STORE_ARGS,
    default_store_outlets,
    store_params,
    write_back_enabled,
    write_back_params,
)
from intakeflow.provider.operators.fhir import FhirWriteBackOperator, StageFhirCommunicationsOperator
from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.provider.operators.store import MigrateStoreOperator, RecordRunOperator

with DAG(
    dag_id="fhir_communication_intake",
    description="Stage, process and write back one hour of FHIR Communications",
    schedule=CronDataIntervalTimetable("@hourly", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    render_template_as_native_obj=True,
    doc_md=__doc__,
    tags=["intakeflow", "fhir"],
    params={
        "source_name": Param(
            "fhir", type="string", pattern="^fhir(:[a-z0-9_-]+)?$", description="Staging source name of the server"
        ),
        **write_back_params(True),
        **store_params(),
    },
) as dag:
    store_args = STORE_ARGS
    migrate = MigrateStoreOperator(task_id="migrate_store", **store_args)
    stage = StageFhirCommunicationsOperator(
        task_id="stage_communications",
        fhir_conn_id="{{ params.fhir_conn_id }}",
        source_name="{{ params.source_name }}",
        model_path="{{ params.model_path }}",
        execution_timeout=timedelta(minutes=30),
        **default_store_outlets("staged"),
        **store_args,
    )
    process = ProcessMessagesOperator(
        task_id="process",
        sources=["{{ params.source_name }}"],
        batch_size="{{ params.batch_size }}",
        model_path="{{ params.model_path }}",
        execution_timeout=timedelta(minutes=50),
        **default_store_outlets("processed"),
        **store_args,
    )

    write_back = FhirWriteBackOperator(
        task_id="write_back",
        fhir_conn_id="{{ params.fhir_conn_id }}",
        model_path="{{ params.model_path }}",
        execution_timeout=timedelta(minutes=30),
        **default_store_outlets("written_back"),
        **store_args,
    )
    record = RecordRunOperator(
        task_id="record_run",
        stages={"stage": stage.output, "process": process.output, "write_back": write_back.output},
        trigger_rule="none_failed",
        **store_args,
    )
    migrate >> stage >> process >> write_back_enabled() >> write_back >> record
