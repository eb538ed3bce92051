"""``Store.stage`` over one PostgreSQL connection kept open between the listener's commits.

``Store`` opens a connection per operation, which suits tasks that stage a file and exit.
The listener commits hundreds of small groups a second: a new connection each time (a
server process forked, authentication, the staging temp table created and dropped) cost
more CPU than the rows themselves. :class:`KeptConnectionStore` runs the store's own
``stage`` (same SQL, same transaction per batch) on a connection it keeps; a connection
that went away while idle (server restart, ``idle_session_timeout``) is replaced once
before the commit is reported as failed.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Iterable
from contextlib import suppress
from types import TracebackType
from typing import Any

import psycopg
from psycopg.rows import dict_row

from intakeflow.results import SourceItem
from intakeflow.store import Store
from intakeflow.store.staged import StageCounts

log = logging.getLogger("intakeflow.mllp")


class _KeptConnection(psycopg.Connection[dict[str, Any]]):
    """Ends its transaction on ``with`` exit like any connection, but stays open."""

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None:
        if self.closed:
            return
        if exc_type is None:
            self.commit()
        else:
            with suppress(psycopg.Error):
                self.rollback()


class KeptConnectionStore:
    """A :class:`~intakeflow.mllp.intake.StagingArea`: ``store.stage`` on a kept connection.

    Not for concurrent use: the listener's single commit thread calls it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._staging = copy.copy(store)
        # Store.stage opens its connection with self.connect(): hand it the kept one
        self._staging.connect = self._connection  # type: ignore[method-assign]
        self._conn: _KeptConnection | None = None
        self._lock = threading.Lock()
        #: connections opened so far (1 in a steady run)
        self.connects = 0

    @property
    def pipeline_version(self) -> str:
        return self.store.pipeline_version

    def _connection(self) -> _KeptConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self.close()
            self._conn = _KeptConnection.connect(self.store.dsn, row_factory=dict_row)
            self.connects += 1
        return self._conn

    def stage(self, items: Iterable[SourceItem], run_id: str) -> StageCounts:
        batch = list(items)
        with self._lock:
            reused = self._conn is not None and not self._conn.closed
            try:
                return self._staging.stage(batch, run_id)
            except psycopg.OperationalError:
                if not (reused and self._conn is not None and (self._conn.broken or self._conn.closed)):
                    raise
            # the kept connection had died while idle; the batch was rolled back with it
            log.info("kept PostgreSQL connection was lost; staging on a new one")
            self.close()
            return self._staging.stage(batch, run_id)

    def close(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
