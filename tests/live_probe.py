"""Test helpers for the live feed's watcher (``intakeflow.store.live``): is it listening yet?"""

from __future__ import annotations

import time

import psycopg


def watcher_backends(dsn: str, schema: str) -> int:
    """Connections of a live watcher (``intakeflow.store.live``) on ``schema`` that listen
    already: their last query is the queue check, which follows their ``LISTEN``."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'intakeflow-watch'"
            " AND query LIKE '%%intakeflow:queue-ages%%' AND query LIKE %s", (f'%"{schema}"%',)).fetchone()
    return int(row[0]) if row else 0


def wait_watching(dsn: str, schema: str, timeout: float = 20.0, at_least: int = 1) -> None:
    """Until a watcher of ``schema`` listens (so a notification from now on reaches it)."""
    deadline = time.monotonic() + timeout
    while watcher_backends(dsn, schema) < at_least:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no live watcher listening on schema {schema}")
        time.sleep(0.02)
