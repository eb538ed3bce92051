"""Chaos: the PostgreSQL server restarts in the middle of a batch, once while staging and
once while the process task saves results, on an embedded PostgreSQL this test owns (never
the shared server). The task fails with one coded line (E051, no psycopg text), its retry
resumes the claimed rows, and afterwards every message is stored once and processed once:
0 lost, 0 duplicated, counted by source id."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest

from intakeflow.embedded.postgres import EmbeddedPostgres
from intakeflow.errors import SinkError
from intakeflow.provider.operators import process as process_module
from intakeflow.provider.operators.process import ProcessMessagesOperator
from intakeflow.results import InboundMessage
from intakeflow.store import Store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCHEMA = "chaos"
COUNT = 60
SUB_BATCH = 5  # rows per store transaction: the restart lands between committed sub-batches


@pytest.fixture
def own_pg(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    pytest.importorskip("pgserver")
    pg = EmbeddedPostgres(tmp_path / "pg").start()  # stop() keeps the data: start() again restarts
    try:
        yield pg
    finally:
        pg.stop()


def _messages() -> list[InboundMessage]:
    return [InboundMessage("hl7v2", f"CHAOS|{i}", f"please bill me for visit {i}, chart {1000000 + i}")
            for i in range(COUNT)]


def _restart_after(pg: EmbeddedPostgres, calls: list[int], on_call: int, original: Callable[..., Any]) -> Any:
    """``original`` wrapped: on its ``on_call``-th call, run it, then stop the server while
    the caller's transaction is still open (its commit fails), exactly once."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        out = original(*args, **kwargs)
        if len(calls) == on_call:
            pg.stop()
        return out

    return wrapped


def _by_source_id(dsn: str) -> dict[str, tuple[int, str, int]]:
    """source id -> (message rows, status, intent rows)."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            f"SELECT m.source_id, count(DISTINCT m.id), min(m.status), count(i.message_id) "
            f"FROM {SCHEMA}.messages m LEFT JOIN {SCHEMA}.intents i ON i.message_id = m.id GROUP BY 1").fetchall()
    return {str(r[0]): (int(r[1]), str(r[2]), int(r[3])) for r in rows}


def test_restart_mid_batch_loses_and_duplicates_nothing(
    own_pg: EmbeddedPostgres, fake_pipeline: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn = own_pg.dsn()
    store = Store(dsn, schema=SCHEMA, pipeline_version=fake_pipeline.version, batch_size=SUB_BATCH)
    store.migrate()

    # 1. staging: the server goes away inside the third transaction of 5 rows
    calls: list[int] = []
    copy_messages = Store._copy_messages
    monkeypatch.setattr(Store, "_copy_messages", _restart_after(own_pg, calls, 3, copy_messages))
    with pytest.raises(psycopg.OperationalError):
        store.stage(_messages(), "stage-1")
    own_pg.start()
    assert own_pg.dsn() == dsn
    assert len(_by_source_id(dsn)) == 2 * SUB_BATCH  # two committed sub-batches, the third rolled back
    again = store.stage(_messages(), "stage-2")  # the source re-reads the same input
    assert (again.staged, again.duplicates) == (COUNT - 2 * SUB_BATCH, 2 * SUB_BATCH)
    monkeypatch.setattr(Store, "_copy_messages", copy_messages)

    # 2. processing: the server goes away while the fourth sub-batch of results is saved
    monkeypatch.setenv("AIRFLOW_CONN_CHAOS_PG", json.dumps({"conn_type": "postgres", "host": dsn}))
    real_open = process_module.open_store
    monkeypatch.setattr(process_module, "open_store",
                        lambda *a, **kw: real_open(*a, **kw, batch_size=SUB_BATCH))
    saves: list[int] = []
    monkeypatch.setattr(Store, "_save_ok", _restart_after(own_pg, saves, 4, Store._save_ok))
    op = ProcessMessagesOperator(task_id="process", postgres_conn_id="chaos_pg", store_schema=SCHEMA, batch_size=20)
    context: Any = {"run_id": "chaos-run", "ti": SimpleNamespace(task_id="process", map_index=-1),
                    "data_interval_start": None, "data_interval_end": None}
    with pytest.raises(SinkError) as failed:
        op.execute(context)
    # one coded line, no libpq text, no chained psycopg traceback: Airflow retries the task
    # (the kind is the psycopg class: AdminShutdown for a server shut down under the session)
    assert re.fullmatch(r"E051: PostgreSQL store unreachable \((OperationalError|AdminShutdown)\)", str(failed.value))
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    own_pg.start()
    mid = _by_source_id(dsn)
    assert sum(1 for n, status, _ in mid.values() if status == "processed") == 3 * SUB_BATCH
    out = op.execute(context)  # the retry: same claim token, resumes the claimed rows
    assert out["processed"] == COUNT - 3 * SUB_BATCH and out["failed"] == 0 and out["quarantined"] == 0

    after = _by_source_id(dsn)
    assert sorted(after) == sorted(m.source_id for m in _messages())  # 0 lost
    assert set(after.values()) == {(1, "processed", 1)}  # 0 duplicated: one row, one result each
