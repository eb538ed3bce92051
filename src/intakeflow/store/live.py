"""The live feed's wake-up path: ``NOTIFY`` when rows are staged, ``LISTEN`` with a safety net.

A store opened with ``notify_channel`` sends ``NOTIFY <channel>`` in the transaction that
stages new rows (PostgreSQL delivers it on commit, never for a rollback). The payload names
the schema and the sources and counts rows, never content (:func:`staged_payload`). Two
consumers wait on it:

* :func:`watch_queue` (asyncio) ``LISTEN``\\ s on one connection and yields a :class:`Wake`
  when work waits. It runs in Airflow's triggerer (``StagedMessagesTrigger``, an asset
  watcher) and in ``tools/bench_live.py``.
* :class:`QueueWaiter` (blocking) lets the processing loop sleep until the next staging
  commit instead of polling (``process_pending(linger_s=...)``).

A notification is a hint, never the record: the queue itself (rows in status ``received``)
is. So nothing here keeps state that a restart could lose. On every (re)connect the watcher
first ``LISTEN``\\ s, then looks at the queue and wakes if anything waits, which covers
notifications sent while it was not listening (triggerer restart, DAG unpaused, database
restart). Between notifications it re-checks the queue every ``recheck_s`` seconds and wakes
when an unclaimed row is older than ``stale_after_s``: a lost notification, a listener
without ``notify_channel`` or a run that stopped early cannot leave rows waiting unseen. Every
network call has a time limit, every failure is logged and retried with exponential backoff,
and a status line is logged every ``status_every_s``: the watcher can fail, but not silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.errors import E, SinkError
from intakeflow.store import pg_queries as q
from intakeflow.store.pg_migrate import check_schema_name
from intakeflow.store.staged import QueueAge

#: the channel the MLLP listener notifies on unless told otherwise
DEFAULT_CHANNEL = "intakeflow_staged"
_CHANNEL_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: ``application_name`` of the watcher's connection (pg_stat_activity shows who listens)
WATCH_APPLICATION = "intakeflow-watch"

log = logging.getLogger("intakeflow.live")


def check_channel_name(channel: str) -> str:
    """A ``LISTEN`` channel name: lower-case identifier, at most 63 characters."""
    if not _CHANNEL_NAME.match(channel):
        raise SinkError(E.E050_CONFIG, why="notify channel name must match [a-z_][a-z0-9_]*")
    return channel


def staged_payload(schema: str, sources: Iterable[str], staged: int) -> str:
    """The ``NOTIFY`` payload of a staging commit: schema, source names and a row count
    (identifiers and numbers only, never message content; far below the 8,000-byte limit)."""
    return json.dumps({"schema": schema, "sources": sorted(set(sources)), "staged": int(staged)}, separators=(",", ":"))


def payload_matches(payload: str, schema: str, sources: Collection[str]) -> bool:
    """Whether a notification may concern ``schema`` and ``sources``. A payload this module
    did not write wakes the watcher anyway: a needless wake costs one query, a missed one
    costs the safety net's delay."""
    try:
        doc = json.loads(payload)
    except ValueError:
        return True
    if not isinstance(doc, dict):
        return True
    if doc.get("schema") not in (None, schema):
        return False
    named = doc.get("sources")
    if not isinstance(named, list) or not sources:
        return True
    return any(s in sources for s in named)


def queue_age(row: Mapping[str, Any]) -> QueueAge:
    """A ``QUEUE_AGES`` row as a :class:`QueueAge`."""

    def age(v: Any) -> float | None:
        return None if v is None else max(0.0, float(v))

    return QueueAge(source=str(row["source"]), queued=int(row["queued"]), in_hand=int(row["in_hand"]),
                    oldest_s=age(row["oldest_s"]), oldest_unclaimed_s=age(row["oldest_unclaimed_s"]))


@dataclass(frozen=True)
class Wake:
    """Why the watcher woke and what it saw: ``startup`` (rows were waiting when it began to
    listen), ``notified`` (a staging commit), ``overdue`` (the safety net: an unclaimed row
    older than ``stale_after_s``). ``queued``/``oldest_s``: unclaimed rows and the oldest
    one's age at the last check (``notified`` wakes do not query: ``None``)."""

    reason: str
    queued: int | None = None
    oldest_s: float | None = None
    notifications: int = 0

    def as_payload(self, schema: str, sources: Sequence[str]) -> dict[str, Any]:
        """The trigger event's payload (it becomes the asset event's extra): counts only."""
        return {"reason": self.reason, "schema": schema, "sources": list(sources), "queued": self.queued,
                "oldest_s": None if self.oldest_s is None else round(self.oldest_s, 3),
                "notifications": self.notifications}


@dataclass(frozen=True)
class WatchSettings:
    """Timing of :func:`watch_queue`, in seconds.

    ``recheck_s``: how often the queue is looked at between notifications (also proves the
    connection alive). ``stale_after_s``: an unclaimed row this old wakes the watcher though
    no notification came. ``min_interval_s``: wakes closer than this are merged into one (the
    first after a quiet spell is never held back). ``overdue_every_s``: while the queue stays
    overdue from one check to the next (no worker takes the rows) the safety net wakes at
    most this often. ``backoff_s``
    doubles up to ``max_backoff_s`` between failed connection attempts. ``timeout_s`` bounds
    every connect and query. ``status_every_s``: a status line in the log."""

    recheck_s: float = 5.0
    stale_after_s: float = 5.0
    min_interval_s: float = 5.0
    overdue_every_s: float = 30.0
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    timeout_s: float = 10.0
    status_every_s: float = 600.0


@dataclass(frozen=True)
class _Queue:
    queued: int  # unclaimed rows waiting
    oldest_s: float | None  # age of the oldest unclaimed one


async def _connect(dsn: str, timeout_s: float) -> psycopg.AsyncConnection[Any]:
    conn = await asyncio.wait_for(psycopg.AsyncConnection.connect(
        dsn, autocommit=True, application_name=WATCH_APPLICATION, connect_timeout=max(1, math.ceil(timeout_s)),
        keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
    ), timeout_s + 1)
    try:
        # a check blocked by a lock (a migration running) ends with an error, not a hang
        await conn.execute(sql.SQL("SET statement_timeout = {}").format(sql.Literal(f"{int(timeout_s * 1000)}ms")))
    except BaseException:
        await conn.close()
        raise
    return conn


async def _check(conn: psycopg.AsyncConnection[Any], query: sql.Composed, sources: Sequence[str],
                 timeout_s: float) -> _Queue:
    async def run() -> list[tuple[Any, ...]]:
        cur = await conn.execute(query, {"sources": list(sources)})
        return await cur.fetchall()

    try:
        rows = await asyncio.wait_for(run(), timeout_s + 1)
    except psycopg.errors.UndefinedTable:
        return _Queue(0, None)  # no store yet: nothing waits (migrate_store creates it)
    # QUEUE_AGES columns: source, queued, in_hand, oldest_s, oldest_unclaimed_s
    unclaimed = sum(int(r[1]) - int(r[2]) for r in rows)
    ages = [float(r[4]) for r in rows if r[4] is not None]
    return _Queue(unclaimed, max(ages) if ages else None)


async def watch_queue(
    dsn: str | Callable[[], Awaitable[str]],
    schema: str,
    sources: Sequence[str],
    channel: str = DEFAULT_CHANNEL,
    settings: WatchSettings | None = None,
    *,
    logger: Any = None,
    on_listening: Callable[[], None] | None = None,
) -> AsyncIterator[Wake]:
    """Yield a :class:`Wake` whenever rows of ``sources`` wait in ``schema``: at once on a
    staging notification on ``channel``, or by the safety net. Runs until cancelled; a lost
    connection is retried forever with backoff (logged). ``dsn`` may be a coroutine function
    returning the DSN, called before each connection attempt (the Airflow connection is
    looked up again after a failure). ``on_listening`` is called after each successful
    ``LISTEN`` (tests)."""
    s = settings or WatchSettings()
    lg = logger or log
    check_schema_name(schema)
    check_channel_name(channel)
    wanted = frozenset(sources)
    query = sql.SQL(q.QUEUE_AGES).format(s=sql.Identifier(schema))
    listen = sql.SQL("LISTEN {}").format(sql.Identifier(channel))
    backoff = s.backoff_s
    failures = 0
    last_wake = -math.inf  # monotonic time of the last wake yielded
    last_overdue = -math.inf
    notified_total = wakes_total = 0
    last_status = time.monotonic()
    while True:
        conn: psycopg.AsyncConnection[Any] | None = None
        try:
            target = dsn if isinstance(dsn, str) else await dsn()
            conn = await _connect(target, s.timeout_s)
            await asyncio.wait_for(conn.execute(listen), s.timeout_s + 1)
            if failures:
                lg.warning("live watch: connected again after %d failed attempt(s); listening on %s", failures, channel)
            else:
                lg.info("live watch: listening on %s for %s in schema %s", channel, ",".join(sorted(wanted)), schema)
            failures, backoff = 0, s.backoff_s
            if on_listening is not None:
                on_listening()
            # after LISTEN, before waiting: whatever was staged while nobody listened
            queue = await _check(conn, query, sources, s.timeout_s)
            last_check = time.monotonic()
            pending: Wake | None = Wake("startup", queue.queued, queue.oldest_s) if queue.queued else None
            heard = 0  # relevant notifications since the last wake
            while True:
                now = time.monotonic()
                if pending is not None and now - last_wake >= s.min_interval_s:
                    wake = Wake(pending.reason, pending.queued, pending.oldest_s, heard)
                    pending, heard = None, 0
                    last_wake = now
                    wakes_total += 1
                    yield wake
                    continue
                if now - last_status >= s.status_every_s:
                    lg.info("live watch: alive on %s; %d notification(s), %d wake(s) so far; %d unclaimed row(s) "
                            "at the last check", channel, notified_total, wakes_total, queue.queued)
                    last_status = now
                # wait for a notification until the next re-check (or until a held wake may go)
                until = last_check + s.recheck_s
                if pending is not None:
                    until = min(until, last_wake + s.min_interval_s)
                timeout = max(0.0, until - now)
                if timeout > 0:
                    got = 0
                    async for n in conn.notifies(timeout=timeout, stop_after=1):
                        if payload_matches(n.payload, schema, wanted):
                            got += 1
                    if got:
                        heard += got
                        notified_total += got
                        if pending is None:
                            pending = Wake("notified")
                        continue
                if time.monotonic() - last_check >= s.recheck_s:
                    queue = await _check(conn, query, sources, s.timeout_s)
                    last_check = now = time.monotonic()
                    overdue = queue.oldest_s is not None and queue.oldest_s >= s.stale_after_s
                    if not overdue:
                        last_overdue = -math.inf  # the next row that goes stale wakes at once again
                    elif pending is None and now - last_overdue >= s.overdue_every_s:
                        lg.info("live watch: %d unclaimed row(s) waiting, the oldest for %.0f s: waking "
                                "(safety net)", queue.queued, queue.oldest_s)
                        pending = Wake("overdue", queue.queued, queue.oldest_s)
                        last_overdue = now
        except Exception as exc:  # noqa: BLE001 - every failure is logged and retried: a watcher must not end
            failures += 1
            # a database or network failure is expected now and then; anything else (the
            # Airflow connection missing, a bug) is an error, retried all the same
            expected = isinstance(exc, psycopg.Error | OSError | TimeoutError)
            (lg.warning if expected else lg.error)(
                "live watch: %s (%s); attempt %d failed, retrying in %.1f s", type(exc).__name__, _short(exc), failures,
                backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, s.max_backoff_s)
        finally:
            if conn is not None:
                with suppress(Exception):
                    await asyncio.wait_for(conn.close(), 5)


def _short(exc: BaseException) -> str:
    """The first line of a database error (server messages quote no row content here: the
    watcher only runs LISTEN and the queue-age query)."""
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


class QueueWaiter:
    """Blocking wait for the next staging commit of ``sources`` in ``schema``: ``LISTEN`` on
    a connection of its own (opened on first use). :meth:`wait` returns ``True`` as soon as
    a matching notification arrives, ``False`` after ``timeout``; if the connection fails it
    sleeps instead (the caller re-checks the queue either way) and reconnects next time."""

    def __init__(self, dsn: str, schema: str, sources: Sequence[str] | None, channel: str = DEFAULT_CHANNEL) -> None:
        self.dsn = dsn
        self.schema = schema
        self.sources = frozenset(sources or ())
        self.channel = check_channel_name(channel)
        self._conn: psycopg.Connection[Any] | None = None
        self.failures = 0

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            conn = psycopg.connect(self.dsn, autocommit=True, application_name=WATCH_APPLICATION, connect_timeout=10)
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self._conn = conn
        return self._conn

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            conn = self._connection()
            while (left := deadline - time.monotonic()) > 0:
                for n in conn.notifies(timeout=left, stop_after=1):
                    if payload_matches(n.payload, self.schema, self.sources):
                        return True
            return False
        except psycopg.Error as exc:
            self.failures += 1
            log.warning("queue waiter: %s; polling instead until it reconnects", type(exc).__name__)
            self.close()
            time.sleep(max(0.0, deadline - time.monotonic()))
            return False

    def close(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
            self._conn = None

    def __enter__(self) -> QueueWaiter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
