"""Airflow hook that opens the intakeflow staging store from a ``postgres`` connection.

It reuses the Postgres provider's connection type (no new type to register): host, port,
login, password, and the database in the ``schema`` field. Only libpq options named in
``LIBPQ_EXTRAS`` are taken from ``extra``, so unrelated provider settings never reach libpq.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import psycopg
from airflow.sdk import BaseHook
from psycopg.conninfo import make_conninfo

from intakeflow.errors import E, IntakeflowError
from intakeflow.store import Store

if TYPE_CHECKING:
    from airflow.sdk import Connection

LIBPQ_EXTRAS: tuple[str, ...] = (
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "connect_timeout",
    "application_name",
    "options",
    "target_session_attrs",
)


def dsn_from_connection(conn: Connection) -> str:
    """A libpq connection string for ``conn`` (a URI host such as ``postgresql://...`` is kept)."""
    if conn.host and conn.host.startswith(("postgresql://", "postgres://")):
        return conn.host
    if not conn.host:
        raise IntakeflowError(E.E050_CONFIG, why="PostgreSQL connection has no host")
    extra: dict[str, Any] = conn.extra_dejson
    params: dict[str, Any] = {"host": conn.host}
    if conn.port:
        params["port"] = conn.port
    if conn.login:
        params["user"] = conn.login
    if conn.password:
        params["password"] = conn.password
    if conn.schema:
        params["dbname"] = conn.schema
    params.update({k: extra[k] for k in LIBPQ_EXTRAS if extra.get(k) not in (None, "")})
    return make_conninfo(**params)


class StoreHook(BaseHook):
    """Open :class:`intakeflow.store.Store` on the database of a ``postgres`` connection.

    Uses the Postgres provider's connection type: host, port, login, password, and the
    database in the ``schema`` field (a host that is itself a ``postgresql://`` URI is used
    as it is). Of ``extra``, only the libpq options in ``LIBPQ_EXTRAS`` (``sslmode``,
    ``sslrootcert``, ``connect_timeout``, ...) are passed on. A connection without a host
    raises E050.

    :param postgres_conn_id: Airflow connection (type ``postgres``) of the database that
        holds the staging store. Default ``postgres_default``.
    """

    conn_name_attr = "postgres_conn_id"
    default_conn_name = "postgres_default"
    conn_type = "postgres"
    hook_name = "intakeflow staging store"

    def __init__(self, postgres_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.postgres_conn_id = postgres_conn_id

    def get_dsn(self) -> str:
        """The libpq connection string of this connection."""
        return dsn_from_connection(self.get_connection(self.postgres_conn_id))

    def get_conn(self) -> psycopg.Connection[Any]:
        """A new psycopg connection to this database (caller closes it)."""
        return psycopg.connect(self.get_dsn())

    def get_store(self, schema: str = "intakeflow", pipeline_version: str = "0", **options: Any) -> Store:
        """The store in ``schema`` for ``pipeline_version``; ``options`` go to :class:`Store`."""
        return Store(self.get_dsn(), schema=schema, pipeline_version=pipeline_version, **options)

    def test_connection(self) -> tuple[bool, str]:
        """Connect and read ``server_version``; report the PostgreSQL version."""
        try:
            with self.get_conn() as conn:
                row = conn.execute("SHOW server_version").fetchone()
        except IntakeflowError as exc:
            return False, str(exc)
        except psycopg.Error as exc:
            return False, f"{type(exc).__name__} while connecting"
        return True, f"PostgreSQL {row[0] if row else 'unknown'}"
