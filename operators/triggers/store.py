"""Event trigger for an asset watcher: fires when the live feed has staged messages.

The MLLP listener stages each message in PostgreSQL and, in the same transaction, sends a
``NOTIFY`` (``--notify-channel``). This trigger, run by Airflow's triggerer as the
``AssetWatcher`` of the live DAG's asset, ``LISTEN``\\ s on that channel with psycopg's
asyncio connection and fires as soon as a notification names its sources, so a DAG run
starts within about a second of the ACK instead of at the next cron tick. The work is in
:func:`intakeflow.store.live.watch_queue`; see there for the safety net (a periodic look at
the queue: an unclaimed row older than ``stale_after_s`` fires the trigger though no
notification came), reconnects with backoff and the status line.

The trigger keeps no state that matters: on every start (a triggerer restart, the DAG
unpaused, the trigger recreated after the DAG file changed) it listens first, then fires if
anything waits. It never blocks the triggerer's event loop (no thread, no synchronous call)
and holds no worker slot. Event payloads carry counts, schema and source names, never text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from airflow.sdk import BaseHook
from airflow.triggers.base import BaseEventTrigger, TriggerEvent

from intakeflow.provider.hooks.store import dsn_from_connection
from intakeflow.store.live import DEFAULT_CHANNEL, WatchSettings, check_channel_name, watch_queue
from intakeflow.store.pg_migrate import check_schema_name


class StagedMessagesTrigger(BaseEventTrigger):
    """Fire when messages of ``sources`` are staged in ``store_schema`` (a ``NOTIFY`` on
    ``channel``), or when an unclaimed one has waited ``stale_after_s`` seconds (the safety
    net, looked at every ``recheck_s``). Events closer than ``min_interval_s`` are merged.

    :param postgres_conn_id: Postgres connection of the store (looked up in the triggerer,
        again after a lost connection).
    :param store_schema: Schema of the store.
    :param sources: Staging source names to watch (``mllp``, ``mllp:<name>``).
    :param channel: ``NOTIFY`` channel of the listener. Default ``intakeflow_staged``.
    :param recheck_s: Seconds between looks at the queue. Default 5.
    :param stale_after_s: Age of an unclaimed queued row that fires without a notification.
        Default 5.
    :param min_interval_s: Least seconds between two events (the first after a quiet spell
        goes at once). Default 5.
    :param max_backoff_s: Longest wait between reconnection attempts. Default 60.
    """

    def __init__(
        self,
        postgres_conn_id: str,
        store_schema: str,
        sources: Sequence[str],
        channel: str = DEFAULT_CHANNEL,
        recheck_s: float = 5.0,
        stale_after_s: float = 5.0,
        min_interval_s: float = 5.0,
        max_backoff_s: float = 60.0,
    ) -> None:
        super().__init__()
        self.postgres_conn_id = postgres_conn_id
        self.store_schema = check_schema_name(store_schema)
        self.sources = [str(s) for s in sources]
        self.channel = check_channel_name(channel)
        self.recheck_s = float(recheck_s)
        self.stale_after_s = float(stale_after_s)
        self.min_interval_s = float(min_interval_s)
        self.max_backoff_s = float(max_backoff_s)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        # plain str/float/list values: the hash that deduplicates watcher triggers between DAG
        # parses is then the same for the DAG file's trigger and the stored one
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "postgres_conn_id": self.postgres_conn_id,
                "store_schema": self.store_schema,
                "sources": list(self.sources),
                "channel": self.channel,
                "recheck_s": self.recheck_s,
                "stale_after_s": self.stale_after_s,
                "min_interval_s": self.min_interval_s,
                "max_backoff_s": self.max_backoff_s,
            },
        )

    def settings(self) -> WatchSettings:
        return WatchSettings(recheck_s=self.recheck_s, stale_after_s=self.stale_after_s,
                             min_interval_s=self.min_interval_s, max_backoff_s=self.max_backoff_s)

    async def _dsn(self) -> str:
        # the SDK's async lookup, on the event loop: no thread, no blocking call
        return dsn_from_connection(await BaseHook.aget_connection(self.postgres_conn_id))

    async def run(self) -> AsyncIterator[TriggerEvent]:
        async for wake in watch_queue(self._dsn, self.store_schema, self.sources, self.channel, self.settings(),
                                      logger=self.log):
            yield TriggerEvent(wake.as_payload(self.store_schema, self.sources))
