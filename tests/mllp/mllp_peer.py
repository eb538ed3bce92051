"""Test helpers for the MLLP listener: synthetic messages, a listener on a background
thread, python-hl7's MLLPClient as the sending peer, and row counts from PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import hl7
import psycopg
from hl7.client import MLLPClient

from intakeflow.mllp import Intake, ListenerConfig, MllpServer
from intakeflow.mllp.intake import StagingArea, parse_message
from intakeflow.results import InboundMessage, Quarantined, SourceItem
from intakeflow.sources.filters import FilterRule
from intakeflow.store import Store
from intakeflow.store.staged import StageCounts

SB, EB, CR = b"\x0b", b"\x1c", b"\r"
FACILITY = "TESTLAB"


def message(control_id: str, text: str | None = "please call me about my appointment", *, version: str = "2.5.1",
            trigger: str = "R01", facility: str = FACILITY, extra_obx: str = "", accept_ack: str | None = None,
            application_ack: str | None = None) -> str:
    """A small synthetic ORU message; ``text=None`` leaves out the OBX text (quarantined);
    ``accept_ack`` / ``application_ack`` fill MSH-15 / MSH-16 (enhanced acknowledgement mode)."""
    msh = f"MSH|^~\\&|SENDAPP|{facility}|RECVAPP|RECVFAC|20240301120000||ORU^{trigger}^ORU_R01|{control_id}|P|{version}"
    if accept_ack is not None or application_ack is not None:
        msh += f"|||{accept_ack or ''}|{application_ack or ''}"
    segments = [
        msh,
        "PID|1||T1000^^^TESTMRN^MR||Sample^Pat",
        f"OBR|1|{control_id}||MSG^Message^L",
    ]
    if text is not None:
        segments.append(f"OBX|1|TX|MSG^Message^L||{text}{extra_obx}||||||F")
    return "\r".join(segments)


@dataclass(frozen=True)
class Ack:
    raw: bytes
    msh9: str
    msh3: str
    msh5: str
    msh10: str
    msh12: str
    code: str
    ack_of: str
    err5: str | None
    #: MSH-7, MSH-15 and MSH-16 of the ACK ("" when absent)
    msh7: str = ""
    msh15: str = ""
    msh16: str = ""

    @classmethod
    def parse(cls, raw: bytes) -> Ack:
        body = raw.strip(SB + EB + CR + b"\n").decode()
        msg = hl7.parse(body)
        msh, msa = msg.segment("MSH"), msg.segment("MSA")
        err5 = None
        try:
            err = msg.segment("ERR")
            err5 = str(err[5]) if len(err) > 5 else str(err[1])
        except KeyError:
            pass
        extra = [str(msh[n]) if len(msh) > n else "" for n in (7, 15, 16)]
        return cls(raw, str(msh[9]), str(msh[3]), str(msh[5]), str(msh[10]), str(msh[12]), str(msa[1]), str(msa[2]), err5,
                   *extra)


def split_acks(data: bytes) -> list[Ack]:
    return [Ack.parse(part) for part in data.split(EB) if part.strip(SB + CR + b"\n")]


class Peer:
    """A sending system: python-hl7's MLLPClient, with a timeout and a whole-ACK read."""

    def __init__(self, port: int, timeout: float = 10.0) -> None:
        self.client = MLLPClient("127.0.0.1", port)
        self.timeout = timeout
        self.client.socket.settimeout(timeout)

    def send(self, text: str) -> Ack:
        data = self.client.send_message(text)
        while data and not data.endswith(EB + CR):
            more = self.client.socket.recv(4096)
            if not more:
                break
            data += more
        if not data.endswith(EB + CR):
            raise ConnectionError("no complete ACK")
        return Ack.parse(data)

    def send_then(self, data: bytes, control_id: str) -> list[Ack]:
        """Send raw bytes on this connection, then read ACKs until the one for
        ``control_id`` (an original-mode message sent last, so that the ACKs before it, if
        any, are those of the messages before it)."""
        self.client.socket.sendall(data)
        got: list[Ack] = []
        buf = b""
        while not got or got[-1].ack_of != control_id:
            chunk = self.client.socket.recv(4096)
            if not chunk:
                raise ConnectionError("closed before the last ACK")
            buf += chunk
            while EB + CR in buf:
                one, buf = buf.split(EB + CR, 1)
                got.append(Ack.parse(one))
        if buf.strip():
            raise AssertionError("bytes after the last ACK")
        return got

    def nothing_more(self, wait: float = 0.3) -> bool:
        """True when the listener sends nothing more (and keeps the connection open) for
        ``wait`` seconds."""
        self.client.socket.settimeout(wait)
        try:
            self.client.socket.recv(1)  # a byte, or the end of the connection
            return False
        except TimeoutError:
            return True
        finally:
            self.client.socket.settimeout(self.timeout)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def raw_exchange(port: int, data: bytes, *, want_acks: int, timeout: float = 5.0) -> tuple[list[Ack], bool]:
    """Send raw bytes, read ``want_acks`` ACKs; also says whether the server then closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        got = b""
        while got.count(EB) < want_acks:
            chunk = sock.recv(4096)
            if not chunk:
                return split_acks(got), True
            got += chunk
        sock.settimeout(0.2)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    return split_acks(got), closed


class ListenerThread:
    """An :class:`MllpServer` on its own event loop in a background thread."""

    def __init__(self, store: StagingArea, *, port: int = 0, source: str = "mllp", parse_workers: int = 0,
                 intake: dict[str, Any] | None = None, **config: Any) -> None:
        self.store = store
        self.source = source
        self.parse_workers = parse_workers
        self.intake_options = {"max_batch": 100, **(intake or {})}
        self.config = ListenerConfig(port=port, **config)
        self.port = 0
        self.server: MllpServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mllp-listener", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self.server = MllpServer(
            Intake(self.store, source=self.source, parse_workers=self.parse_workers, **self.intake_options), self.config)
        await self.server.start()
        self.port = self.server.port
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await self.server.serve()

    def start(self) -> ListenerThread:
        self._thread.start()
        if not self._ready.wait(15) or self._error is not None:
            raise RuntimeError(f"listener did not start: {self._error!r}")
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is not None and self.server is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self.server.request_stop)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "listener did not stop"

    def __enter__(self) -> ListenerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FlakyStore:
    """Stages through the real store but fails any batch holding a POISON message (and,
    with ``refuse_quarantine``, its quarantine record too), and can hold a commit until
    the test releases it."""

    def __init__(self, store: Store, failure: Exception | None = None, refuse_quarantine: bool = False) -> None:
        self.store = store
        self.failure = failure
        self.refuse_quarantine = refuse_quarantine
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def stage(self, items: Iterable[InboundMessage | Quarantined], run_id: str) -> StageCounts:
        batch = list(items)
        self.calls += 1
        self.entered.set()
        self.release.wait(10)
        if self.failure is not None:
            raise self.failure
        if any("POISON" in m.source_id and (self.refuse_quarantine or isinstance(m, InboundMessage)) for m in batch):
            raise RuntimeError("simulated database failure")
        return self.store.stage(batch, run_id)


def parse_or_die_for_test(payload: bytes, source: str, filters: Sequence[FilterRule]) -> SourceItem:
    """The listener's parser, except that a message saying KILL-WORKER ends the worker
    process that parses it (as the kernel's OOM killer would), and one saying UNPICKLABLE
    comes back as an item that cannot be sent back to the listener."""
    if b"KILL-WORKER" in payload:
        os._exit(1)
    item = parse_message(payload, source, filters)
    if b"UNPICKLABLE" in payload:
        return replace(item, meta={**item.meta, "oops": lambda: None})
    return item


def rows_by_source_id(dsn: str, schema: str, source: str = "mllp") -> Counter[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f'SELECT source_id, count(*) FROM "{schema}".messages WHERE source = %s GROUP BY 1',
                            (source,)).fetchall()
    return Counter({r[0]: int(r[1]) for r in rows})


def quarantine_codes(dsn: str, schema: str, source: str = "mllp") -> dict[str, str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(f'SELECT source_id, reason_code FROM "{schema}".quarantine WHERE source = %s',
                            (source,)).fetchall()
    return {r[0]: r[1] for r in rows}


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        time.sleep(0.01)
