"""The asyncio MLLP listener: many connections, many messages per connection.

Each connection is served in order (read a frame, commit it, answer it, read the next);
the answer follows the message's acknowledgement mode (:mod:`intakeflow.mllp.ack`): in
enhanced mode MSH-15 may ask for no answer, and the next frame is read after the commit
all the same. A connection with no byte for ``idle_timeout`` seconds is closed. :meth:`MllpServer.stop`
stops accepting, closes connections that wait for their next frame, lets those with a
message in hand commit and answer it, then closes them (``grace`` bounds the wait).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import ssl
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from intakeflow.mllp.ack import AckError, MshHeader, ack_wanted, answer_code, build_ack, read_msh
from intakeflow.mllp.framing import Frame, FrameReader, FrameTruncated, frame
from intakeflow.mllp.intake import Intake, Verdict

log = logging.getLogger("intakeflow.mllp")


@dataclass(frozen=True)
class ListenerConfig:
    host: str = "127.0.0.1"
    port: int = 2575
    max_bytes: int = 1024 * 1024
    idle_timeout: float | None = 300.0
    grace: float = 30.0
    ssl: ssl.SSLContext | None = None


def tls_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


class MllpServer:
    """Serve MLLP on ``config.host:config.port`` (port 0: any free port, see :attr:`port`)."""

    def __init__(self, intake: Intake, config: ListenerConfig) -> None:
        self.intake = intake
        self.config = config
        self.counts: Counter[str] = Counter()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._waiting: set[asyncio.StreamWriter] = set()
        self._stop_requested = asyncio.Event()
        self._stopping = False
        self._ids = itertools.count(1)
        self._told_application_ack = False

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("server not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        await self.intake.start()
        handshake = min(self.config.idle_timeout or 60.0, 60.0) if self.config.ssl else None
        self._server = await asyncio.start_server(
            self._serve_connection, self.config.host, self.config.port, ssl=self.config.ssl,
            ssl_handshake_timeout=handshake, reuse_address=True,
        )
        log.info("MLLP listener on %s:%d (TLS %s)", self.config.host, self.port, "on" if self.config.ssl else "off")

    def request_stop(self) -> None:
        """Ask :meth:`serve` to shut down gracefully (safe from a signal handler)."""
        self._stop_requested.set()

    async def serve(self) -> None:
        """Start (unless started), run until :meth:`request_stop`, stop gracefully."""
        if self._server is None:
            await self.start()
        await self._stop_requested.wait()
        await self.stop()

    async def stop(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        if self._server is not None:
            self._server.close()
        for writer in list(self._waiting):  # between messages: nothing in flight, cut at once
            writer.transport.abort()
        handlers = set(self._handlers)
        if handlers:
            _, late = await asyncio.wait(handlers, timeout=self.config.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            self.counts["cancelled_at_shutdown"] += len(late)
        await self.intake.close()
        if self._server is not None:
            await self._server.wait_closed()
        log.info("MLLP listener stopped: %s; store %s", dict(self.counts), dict(self.intake.counts))

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        conn = next(self._ids)
        self.counts["connections"] += 1
        self.intake.connection_opened(conn)
        frames = FrameReader(reader, self.config.max_bytes, self.config.idle_timeout)
        end = "closed by peer"
        try:
            while not self._stopping:
                self._waiting.add(writer)
                try:
                    got = await frames.next_frame()
                finally:
                    self._waiting.discard(writer)
                if got is None or writer.transport.is_closing():
                    break
                reply = await self._answer(got, conn)
                if reply is None:
                    end = "unreadable frame"
                    break
                if reply:  # b"": enhanced mode, and MSH-15 asks for no ACK here
                    writer.write(frame(reply))
                    async with asyncio.timeout(self.config.idle_timeout):
                        await writer.drain()
            else:
                end = "shutdown"
        except FrameTruncated:
            end, self.counts["truncated_frames"] = "closed inside a frame", self.counts["truncated_frames"] + 1
        except TimeoutError:
            end, self.counts["idle_closed"] = "idle timeout", self.counts["idle_closed"] + 1
        except (ConnectionError, ssl.SSLError) as exc:
            end = type(exc).__name__
        finally:
            if task is not None:
                self._handlers.discard(task)
            self.intake.connection_closed(conn)
            writer.close()
            with suppress(Exception):
                async with asyncio.timeout(2):
                    await writer.wait_closed()
            log.debug("connection %d ended: %s", conn, end)

    async def _answer(self, got: Frame, conn: int) -> bytes | None:
        """The ACK for a frame: ``None`` when it has no readable MSH to address one to,
        ``b""`` when the sender asked for none (enhanced mode, MSH-15)."""
        msh = read_msh(got.payload)
        if msh is None:
            self.counts["unreadable_frames"] += 1
            return None
        if got.error is not None:
            self.counts[f"rejected_{got.error.name[:4]}"] += 1
            reason = got.error.format(size=got.size, limit=self.config.max_bytes, why=got.why)
            verdict = Verdict("AE", AckError("207", got.error.name[:4], reason))
        else:
            verdict = await self.intake.submit(got.payload, conn=conn, note=self._application_ack_note(msh))
        code = answer_code(msh, verdict.code)
        if not ack_wanted(msh, code):
            self.counts[f"not_acked_{code}"] += 1
            return b""
        self.counts[f"answered_{code}"] += 1
        return build_ack(msh, code, verdict.error)

    def _application_ack_note(self, msh: MshHeader) -> dict[str, str] | None:
        """MSH-16 asked for an application ACK, which this listener cannot honestly send
        (the message is processed later, by the DAG): record the request with the message
        (``meta.application_ack``), count it, and say so once in the log."""
        condition = msh.application_condition
        if condition == "NE":
            return None
        self.counts["application_ack_requested"] += 1
        if not self._told_application_ack:
            self._told_application_ack = True
            log.warning("a sender asked for application acknowledgements (MSH-16=%s); this listener sends commit "
                        "acknowledgements only and records the request in the message's meta", condition)
        return {"application_ack": condition}
