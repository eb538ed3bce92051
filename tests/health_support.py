"""Build store states the health checks judge: messages waiting for a given time, claims and
results of a given age, quarantine and filtered inputs, listener heartbeats and failed
write-backs. Times are set with SQL relative to the database's ``now()``, as the checks
measure them."""

from __future__ import annotations

import email
import smtplib
import socket
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.results import Filtered, InboundMessage, PipelineResult, Quarantined
from intakeflow.store import FhirWriteRecord, Store


def execute(store: Store, query: str, params: dict[str, Any] | None = None) -> None:
    with psycopg.connect(store.dsn, autocommit=True) as conn:
        conn.execute(sql.SQL(query).format(s=sql.Identifier(store.schema)), params or {})


def stage(store: Store, source: str, n: int, *, age_s: float = 0, prefix: str = "m", text: str = "a note") -> list[int]:
    """``n`` messages of ``source`` staged ``age_s`` seconds ago; returns their ids."""
    items = [InboundMessage(source, f"{prefix}{i}", f"{text} {i}") for i in range(n)]
    store.stage(items, "test-run")
    with psycopg.connect(store.dsn, autocommit=True) as conn:
        rows = conn.execute(sql.SQL(
            "UPDATE {s}.messages SET created_at = now() - make_interval(secs => %(age)s) "
            "WHERE source = %(source)s AND source_id = ANY(%(ids)s) RETURNING id").format(s=sql.Identifier(store.schema)),
            {"age": age_s, "source": source, "ids": [i.source_id for i in items]}).fetchall()
    return sorted(int(r[0]) for r in rows)


def claim(store: Store, source: str, n: int, *, age_s: float = 0) -> list[int]:
    """Claim ``n`` waiting messages of ``source``, the claim dated ``age_s`` seconds ago."""
    batch = store.claim(n, "test-claim", [source])
    ids = [m.id for m in batch]
    execute(store, "UPDATE {s}.messages SET claimed_at = now() - make_interval(secs => %(age)s) WHERE id = ANY(%(ids)s)",
            {"age": age_s, "ids": ids})
    return ids


def process(store: Store, source: str, n: int, *, age_s: float = 0) -> list[int]:
    """Claim and save ``n`` messages of ``source`` as processed, ``age_s`` seconds ago."""
    batch = store.claim(n, "test-process", [source])
    store.save_results([(m, PipelineResult(id=str(m.id), intent="other", redacted_text="[NAME]",
                                           pipeline_version=store.pipeline_version)) for m in batch])
    ids = [m.id for m in batch]
    execute(store, "UPDATE {s}.messages SET processed_at = now() - make_interval(secs => %(age)s), "
                   "claimed_at = now() - make_interval(secs => %(age)s) WHERE id = ANY(%(ids)s)",
            {"age": age_s, "ids": ids})
    return ids


def quarantine_at_source(store: Store, source: str, n: int, *, prefix: str = "bad") -> None:
    store.stage([Quarantined(source, f"{prefix}{i}", "E020", "E020: HL7 v2 message could not be parsed (no MSH)", {})
                 for i in range(n)], "test-run")


def quarantine_in_pipeline(store: Store, source: str, n: int, *, age_s: float = 0) -> None:
    """Claim ``n`` waiting messages of ``source`` and quarantine them (E001), ``age_s`` seconds ago."""
    batch = store.claim(n, "test-q", [source])
    store.save_results([(m, PipelineResult(id=str(m.id), error_code="E001", error="E001: message text is empty"))
                        for m in batch])
    execute(store, "UPDATE {s}.messages SET processed_at = now() - make_interval(secs => %(age)s), "
                   "claimed_at = now() - make_interval(secs => %(age)s) WHERE id = ANY(%(ids)s)",
            {"age": age_s, "ids": [m.id for m in batch]})


def filtered(store: Store, source: str, n: int, *, age_s: float = 0) -> None:
    store.stage([Filtered(source, f"adt{i}", "adt-without-text", {}) for i in range(n)], "test-run")
    execute(store, "UPDATE {s}.filtered SET first_seen = now() - make_interval(secs => %(age)s), "
                   "last_seen = now() - make_interval(secs => %(age)s) WHERE source = %(source)s",
            {"age": age_s, "source": source})


def age_inputs(store: Store, source: str, age_s: float) -> None:
    """Every input of ``source`` (messages, quarantine and filtered rows) ``age_s`` seconds old."""
    params = {"age": age_s, "source": source}
    execute(store, "UPDATE {s}.messages SET created_at = now() - make_interval(secs => %(age)s) "
                   "WHERE source = %(source)s", params)
    execute(store, "UPDATE {s}.quarantine SET first_seen = now() - make_interval(secs => %(age)s), "
                   "last_seen = now() - make_interval(secs => %(age)s) WHERE source = %(source)s", params)
    execute(store, "UPDATE {s}.filtered SET first_seen = now() - make_interval(secs => %(age)s), "
                   "last_seen = now() - make_interval(secs => %(age)s) WHERE source = %(source)s", params)


def heartbeat(store: Store, source: str, *, age_s: float = 0, input_age_s: float | None = None,
              stopped: bool = False, instance: str = "host-a:2575") -> None:
    execute(store, """
        INSERT INTO {s}.listener_heartbeats (source, instance, pid, started_at, beat_at, stopped_at, last_input_at)
        VALUES (%(source)s, %(instance)s, 1, now() - interval '1 day', now() - make_interval(secs => %(age)s),
                CASE WHEN %(stopped)s THEN now() - make_interval(secs => %(age)s) END,
                CASE WHEN %(input)s::float8 IS NOT NULL THEN now() - make_interval(secs => %(input)s::float8) END)
        ON CONFLICT (source, instance) DO UPDATE
        SET beat_at = EXCLUDED.beat_at, stopped_at = EXCLUDED.stopped_at, last_input_at = EXCLUDED.last_input_at
        """, {"source": source, "instance": instance, "age": age_s, "stopped": stopped, "input": input_age_s})


def failed_writeback(store: Store, ids: list[int], *, code: str = "E034", age_s: float = 0) -> None:
    """Record a failed write-back (the ``bundle`` row of a failed attempt) for ``ids``."""
    store.record_writeback({i: [FhirWriteRecord("bundle", "Bundle", "failed", reason_code=code)] for i in ids})
    execute(store, "UPDATE {s}.fhir_writes SET updated_at = now() - make_interval(secs => %(age)s) "
                   "WHERE message_id = ANY(%(ids)s)", {"age": age_s, "ids": ids})


# -- a local SMTP sink -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpSink:
    """aiosmtpd on a loopback port, keeping every message it receives."""

    port: int = field(default_factory=free_port)
    received: list[Message] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def __enter__(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.received]

    def bodies(self) -> list[str]:
        """Every text part of every message, decoded."""
        out = []
        for msg in self.received:
            for part in msg.walk():
                if part.get_content_maintype() == "text":
                    payload = part.get_payload(decode=True)
                    out.append(payload.decode(part.get_content_charset() or "utf-8") if isinstance(payload, bytes)
                               else str(payload))
        return out


def smtp_reachable(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=5) as s:
            return s.noop()[0] == 250
    except OSError:
        return False
