"""Versioned SQL migrations shipped in ``intakeflow/store/migrations/NNNN_name.sql``.

Applied in order inside one transaction under a transaction-scoped advisory lock, so
concurrent workers cannot apply a migration twice; ``schema_migrations`` records what ran.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from intakeflow.errors import E, SinkError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """All migration files of the package, ordered by version."""
    folder = resources.files("intakeflow.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise SinkError(E.E050_CONFIG, why="two migration files share a version number")
    return found


def check_schema_name(schema: str) -> str:
    if not _SCHEMA_NAME.match(schema):
        raise SinkError(E.E050_CONFIG, why="schema name must match [a-z_][a-z0-9_]*")
    return schema


def migrate(conn: psycopg.Connection, schema: str) -> list[int]:
    """Apply pending migrations to ``schema`` (created if missing); return versions applied."""
    check_schema_name(schema)
    ident = sql.Identifier(schema).as_string(conn)
    lock_key = int.from_bytes(hashlib.sha256(f"intakeflow:{schema}".encode()).digest()[:8], "big", signed=True)
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {}.schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            ).format(sql.Identifier(schema))
        )
        rows = conn.execute(sql.SQL("SELECT version FROM {}.schema_migrations").format(sql.Identifier(schema)))
        done = {int(r[0]) for r in rows.fetchall()}
        for mig in load_migrations():
            if mig.version in done:
                continue
            # Files are package data, not user input; the schema name was checked above.
            conn.execute(mig.sql.replace("{schema}", ident).encode())
            conn.execute(
                sql.SQL("INSERT INTO {}.schema_migrations (version, name) VALUES (%s, %s)").format(
                    sql.Identifier(schema)
                ),
                (mig.version, mig.name),
            )
            applied.append(mig.version)
    return applied
