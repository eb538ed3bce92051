"""The archive DAG, unchanged, on CeleryExecutor with a Redis broker and two workers: the
same backfill as the LocalExecutor reference gives the same rows and FHIR resources, and
both workers took tasks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from it_support import DAG_ID, Archive, Backfilled, StoreCounts, backfill, fhir_counts, make_stack, store_dsn

from tools.devstack import AirflowStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REDIS_URL = "redis://127.0.0.1:6379/7"  # a database of its own: the stack flushes it


@pytest.fixture(scope="module")
def celery_fhir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from intakeflow.embedded.fhir_server import EmbeddedFhirServer

    with EmbeddedFhirServer(tmp_path_factory.mktemp("fhir-celery")) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def celery_airflow(tmp_path_factory: pytest.TempPathFactory, celery_fhir: str) -> Iterator[AirflowStack]:
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis at 127.0.0.1:6379 is not reachable")
    stack = make_stack(tmp_path_factory.mktemp("airflow-celery"), "celery", celery_fhir, "CeleryExecutor",
                       redis_url=REDIS_URL)
    stack.setup()
    try:
        stack.start_services(workers=2, concurrency=2)
        stack.wait_for_dag(DAG_ID)
        yield stack
    finally:
        stack.stop()
        stack.drop_database()


def _tasks_per_worker(stack: AirflowStack) -> dict[str, int]:
    """What each Celery worker executed, from the workers themselves (``inspect stats``)."""
    from celery import Celery

    app = Celery(broker=stack.redis_url)
    stats = app.control.inspect(timeout=10).stats() or {}
    return {name: sum(s.get("total", {}).values()) for name, s in stats.items()}


def test_two_celery_workers_match_the_local_executor(
    celery_airflow: AirflowStack, celery_fhir: str, hl7_archive: Archive, local_backfill: Backfilled
) -> None:
    celery_airflow.api("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})
    runs = backfill(celery_airflow, hl7_archive)

    assert {r["state"] for r in runs} == {"success"}, [r["state"] for r in runs]
    assert StoreCounts.read(store_dsn(celery_airflow)) == local_backfill.counts
    assert fhir_counts(celery_fhir) == local_backfill.fhir
    per_worker = _tasks_per_worker(celery_airflow)
    assert len(per_worker) == 2 and all(n > 0 for n in per_worker.values()), per_worker
    # 3 runs x (8 tasks + 4 mapped stage shards - 1 unmapped placeholder) all went through Celery
    assert sum(per_worker.values()) >= 3 * 11
