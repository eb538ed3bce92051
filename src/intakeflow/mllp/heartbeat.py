"""The listener's heartbeat: a row in ``{schema}.listener_heartbeats`` (migration 0005) that a
running ``intakeflow mllp-listen`` refreshes every ``interval_s`` seconds.

The store otherwise knows a listener only through the rows it stages: a quiet feed and a
dead listener look the same there. With the heartbeat the watchdog tells them apart
(``listener_down``, E123: no heartbeat for ``listener_down_s``; ``feed_silent``, E122: alive,
but no input for ``feed_silent_s``). Each beat also records the listener's counters (counts
only) and, when they moved since the last beat, ``last_input_at``: a resent duplicate
stages no row but is input all the same. A clean shutdown sets ``stopped_at``.

Each beat opens its own short connection, in a thread, so the listener's kept staging
connection and its event loop are never held by it; a beat that fails is logged (the kind
of error only) and the listener goes on serving.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

log = logging.getLogger("intakeflow.mllp")

#: the intake counters that mean "an input arrived" (stored, duplicate, quarantined, filtered, refused)
INPUT_COUNTERS = ("staged", "duplicates", "quarantined", "filtered", "not_stored")

_BEAT = """
INSERT INTO {s}.listener_heartbeats (source, instance, pid, started_at, beat_at, stopped_at, last_input_at, counts)
VALUES (%(source)s, %(instance)s, %(pid)s, %(started)s, now(), CASE WHEN %(stopped)s THEN now() END,
        CASE WHEN %(took)s THEN now() END, %(counts)s)
ON CONFLICT (source, instance) DO UPDATE
SET pid = EXCLUDED.pid, started_at = EXCLUDED.started_at, beat_at = now(), stopped_at = EXCLUDED.stopped_at,
    last_input_at = CASE WHEN %(took)s THEN now() ELSE {s}.listener_heartbeats.last_input_at END,
    counts = EXCLUDED.counts
"""


def instance_name(port: int) -> str:
    """``host:port`` of this listener (one row per listener; a standby has its own)."""
    return f"{socket.gethostname()}:{port}"


class Heartbeat:
    """Beat for ``source`` (``instance``: :func:`instance_name`) into ``schema`` at ``dsn``;
    ``counts`` returns the listener's counters at each beat."""

    def __init__(
        self, dsn: str, schema: str, source: str, instance: str, *, interval_s: float = 15.0,
        counts: Callable[[], Mapping[str, int]] | None = None,
    ) -> None:
        self.dsn = dsn
        self.schema = schema
        self.source = source
        self.instance = instance
        self.interval_s = max(0.5, interval_s)
        self.counts = counts or dict
        self.started = datetime.now(UTC)
        self.beats = 0
        self.failures = 0
        self._inputs: int | None = None
        self._stop = asyncio.Event()

    def beat(self, *, stopped: bool = False) -> None:
        counts = {str(k): int(v) for k, v in self.counts().items() if isinstance(v, int)}
        inputs = sum(counts.get(k, 0) for k in INPUT_COUNTERS)
        took = inputs > (self._inputs if self._inputs is not None else 0)
        with psycopg.connect(self.dsn, connect_timeout=5, autocommit=True) as conn:
            conn.execute(sql.SQL(_BEAT).format(s=sql.Identifier(self.schema)), {
                "source": self.source, "instance": self.instance, "pid": os.getpid(), "started": self.started,
                "stopped": stopped, "took": took, "counts": Jsonb(counts)})
        self._inputs = inputs
        self.beats += 1

    async def _beat(self, *, stopped: bool = False) -> None:
        try:
            await asyncio.to_thread(self.beat, stopped=stopped)
        except (psycopg.Error, OSError) as exc:
            self.failures += 1
            if self.failures == 1 or self.failures % 20 == 0:
                log.warning("listener heartbeat not stored (%s); %d failed so far", type(exc).__name__, self.failures)

    async def run(self) -> None:
        """Beat until :meth:`stop`, then a last beat with ``stopped_at``."""
        while not self._stop.is_set():
            await self._beat()
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.interval_s)
            except TimeoutError:
                pass
        await self._beat(stopped=True)

    def stop(self) -> None:
        self._stop.set()
