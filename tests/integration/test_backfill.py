"""``airflow backfill create`` with the scheduler running, then the same backfill again with
``--reprocess-behavior completed``: every run executes twice, and the store and the FHIR
server hold exactly what they held after the first pass."""

from __future__ import annotations

import pytest
from it_support import DAG_ID, DAYS, Archive, Backfilled, StoreCounts, backfill, fhir_counts, store_dsn

from tools.devstack import AirflowStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_backfill_processes_every_day_of_the_archive(
    local_backfill: Backfilled, local_airflow: AirflowStack, hl7_archive: Archive
) -> None:
    runs = local_backfill.runs
    assert sorted(r["logical_date"][:10] for r in runs) == list(DAYS)
    assert {r["state"] for r in runs} == {"success"}, [r["state"] for r in runs]
    states = local_airflow.task_states(DAG_ID, runs[0]["dag_run_id"])
    assert sum(1 for (task, _) in states if task == "stage_shard") == 4  # 4 files, 1 per shard
    assert set(states.values()) == {"success"}

    counts = local_backfill.counts
    summary = hl7_archive.summary
    # every message of the archive is accounted for: delivered, or quarantined (no text)
    assert sum(counts.messages.values()) == summary.messages - summary.without_text
    assert counts.messages == {"delivered": summary.messages - summary.without_text}
    assert counts.quarantine == {"E022": summary.without_text}
    assert counts.intents == sum(counts.messages.values())
    assert counts.phi_spans > counts.intents  # several identifiers per message
    delivered = counts.messages["delivered"]
    assert local_backfill.fhir["Communication"] == delivered
    assert local_backfill.fhir["Task"] == delivered


def test_reprocess_completed_changes_no_row_and_no_resource(
    local_backfill: Backfilled, local_airflow: AirflowStack, hl7_archive: Archive, session_fhir_server: str
) -> None:
    first_end = {r["dag_run_id"]: r["end_date"] for r in local_backfill.runs}
    runs = backfill(local_airflow, hl7_archive, "--reprocess-behavior", "completed")

    assert {r["state"] for r in runs} == {"success"}
    # the same runs executed again (same ids, later end)
    assert {r["dag_run_id"] for r in runs} == set(first_end)
    assert all(r["end_date"] > first_end[r["dag_run_id"]] for r in runs)
    assert StoreCounts.read(store_dsn(local_airflow)) == local_backfill.counts
    assert fhir_counts(session_fhir_server) == local_backfill.fhir
