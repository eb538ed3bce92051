"""Real Airflow for the integration tests: a LocalExecutor ``airflow standalone`` and a
CeleryExecutor stack with two workers, each with its own metadata database on the local
PostgreSQL (the store lives in that database too, schema ``intakeflow``), the example DAGs
of ``dags/`` and the bundled model. Both share one embedded FHIR server and one HL7 v2
archive of three days. Slow (minutes): the stacks start once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from it_support import DAG_ID, DAYS, FIRST_DAY, Archive, Backfilled, StoreCounts, backfill, fhir_counts, make_stack, store_dsn

from tools.demo_data import demo_texts, write_hl7_archive
from tools.devstack import AirflowStack


@pytest.fixture(scope="session")
def hl7_archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    root = tmp_path_factory.mktemp("hl7-archive")
    texts = demo_texts(96, seed=11)
    summary = write_hl7_archive(root, texts, FIRST_DAY, days=len(DAYS), files_per_day=4, without_text_every=24)
    return Archive(root, summary)


@pytest.fixture(scope="session")
def session_fhir_server(tmp_path_factory: pytest.TempPathFactory, pg_dsn: str) -> Iterator[str]:
    from intakeflow.embedded.fhir_server import EmbeddedFhirServer

    with EmbeddedFhirServer(tmp_path_factory.mktemp("fhir-it")) as server:
        yield server.base_url


@pytest.fixture(scope="session")
def local_airflow(tmp_path_factory: pytest.TempPathFactory, session_fhir_server: str) -> Iterator[AirflowStack]:
    stack = make_stack(tmp_path_factory.mktemp("airflow-local"), "local", session_fhir_server, "LocalExecutor")
    stack.setup()
    try:
        stack.start_standalone()
        stack.wait_for_dag(DAG_ID)
        yield stack
    finally:
        stack.stop()
        stack.drop_database()


@pytest.fixture(scope="session")
def local_backfill(local_airflow: AirflowStack, hl7_archive: Archive, session_fhir_server: str) -> Backfilled:
    """The archive DAG backfilled once over DAYS on LocalExecutor (the reference run)."""
    local_airflow.api("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})  # backfills run only unpaused
    runs = backfill(local_airflow, hl7_archive)
    return Backfilled(runs, StoreCounts.read(store_dsn(local_airflow)), fhir_counts(session_fhir_server))

