"""An embedded PostgreSQL (pgserver) for the demo and tests without a database server.

pgserver listens on a unix socket inside the data folder; :meth:`EmbeddedPostgres.dsn`
gives a libpq URI for psycopg. Not for production use.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from intakeflow.errors import E, SinkError


class EmbeddedPostgres:
    """Start with :meth:`start` (or ``with``); ``delete=True`` removes the data folder on stop."""

    def __init__(self, data_dir: Path, *, delete: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.delete = delete
        self._server: Any = None

    def start(self) -> EmbeddedPostgres:
        try:
            import pgserver
        except ImportError:
            raise SinkError(E.E050_CONFIG, why="pgserver is not installed (pip install pgserver)") from None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.data_dir, cleanup_mode="delete" if self.delete else "stop")
        return self

    def dsn(self, database: str = "postgres") -> str:
        if self._server is None:
            raise SinkError(E.E050_CONFIG, why="embedded PostgreSQL is not started")
        return str(self._server.get_uri(database))

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
