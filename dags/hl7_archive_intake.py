"""
### HL7 v2 archive intake (daily)

Reads the HL7 v2 archive folder of each day (`<archive_root>/YYYY/MM/DD/*.hl7[.gz]`), stages
every message in PostgreSQL, runs the intakeflow pipeline (intent, PHI, insurance fields)
and records run statistics.

* **Backfill-safe**: a run reads only the day folder of its data interval, and staging is
  idempotent on `(source, MSH-4|MSH-10, pipeline version)`; re-running a day adds nothing.
* **Parallel**: the day's files are split into shards; `stage_shard` is mapped over them.
* **Quarantine**: unparseable messages or messages without text are kept in the store's
  quarantine table with a catalogue code, never dropped.
* **Write-back** (off by default; `write_back=true` and `fhir_conn_id`): results go to the
  FHIR server as conditional, idempotent transaction Bundles, like the FHIR DAG's.
* **Set `archive_root` first**: its default is the Airflow setting `[intakeflow] archive_root`
  (`AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT` where the DAG processor runs); without it,
  `/data/hl7-archive`, a placeholder. A run
  waits up to 6 hours (`wait_for_files`, deferred to the triggerer) for its day folder and
  then skips the day; the intakeflow monitoring page lists such waiting runs with the path
  and whether it exists.
* XCom carries file paths and counts only, never message text.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, CronDataIntervalTimetable, Param

from intakeflow.provider.dag_defaults import (
    DEFAULT_ARGS,
    START_DATE,
    STORE_ARGS,
    archive_root_default,
    default_store_outlets,
    store_params,
    write_back_enabled,
    write_back_params,
)
from intakeflow.provider.operators.fhir import FhirWriteBackOperator
from intakeflow.provider.operators.hl7 import ListHl7ShardsOperator, StageHl7ArchiveOperator
from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.provider.operators.store import MigrateStoreOperator, RecordRunOperator
from intakeflow.provider.sensors.hl7 import Hl7ArchiveSensor
from intakeflow.sources import HL7_SOURCE

with DAG(
    dag_id="hl7_archive_intake",
    description="Stage and process one day of the HL7 v2 archive",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=2,
    default_args=DEFAULT_ARGS,
    render_template_as_native_obj=True,
    doc_md=__doc__,
    tags=["intakeflow", "hl7"],
    params={
        "archive_root": Param(
            archive_root_default(), type="string",
            description="Root of the YYYY/MM/DD archive as workers and the triggerer see it; the default is "
                        "[intakeflow] archive_root, else a placeholder: a run waits up to 6 h for its day "
                        "folder there, then skips the day",
        ),
        "files_per_shard": Param(8, type="integer", minimum=1, description="Archive files per mapped stage task"),
        **write_back_params(False),
        **store_params(),
    },
) as dag:
    store_args = STORE_ARGS
    migrate = MigrateStoreOperator(task_id="migrate_store", **store_args)
    wait = Hl7ArchiveSensor(
        task_id="wait_for_files",
        archive_root="{{ params.archive_root }}",
        poke_interval=300,
        timeout=6 * 3600,
        soft_fail=True,  # a day without files is skipped, not failed
        retries=0,
    )
    shards = ListHl7ShardsOperator(
        task_id="list_shards",
        archive_root="{{ params.archive_root }}",
        files_per_shard="{{ params.files_per_shard }}",
    )
    stage = StageHl7ArchiveOperator.partial(
        task_id="stage_shard",
        archive_root="{{ params.archive_root }}",
        model_path="{{ params.model_path }}",
        max_active_tis_per_dagrun=4,
        execution_timeout=timedelta(hours=1),
        **default_store_outlets("staged"),
        **store_args,
    ).expand(files=shards.output)
    process = ProcessMessagesOperator(
        task_id="process",
        sources=[HL7_SOURCE],
        batch_size="{{ params.batch_size }}",
        model_path="{{ params.model_path }}",
        execution_timeout=timedelta(hours=4),
        **default_store_outlets("processed"),
        **store_args,
    )
    write_back = FhirWriteBackOperator(
        task_id="write_back",
        fhir_conn_id="{{ params.fhir_conn_id }}",
        model_path="{{ params.model_path }}",
        execution_timeout=timedelta(hours=1),
        **default_store_outlets("written_back"),
        **store_args,
    )
    record = RecordRunOperator(
        task_id="record_run",
        stages={"stage": stage.output, "process": process.output, "write_back": write_back.output},
        trigger_rule="none_failed",
        **store_args,
    )
    [migrate, wait] >> shards
    stage >> process >> write_back_enabled() >> write_back >> record
