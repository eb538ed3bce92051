"""MLLP framing (HL7 v2 Minimal Lower Layer Protocol): ``<SB> message <EB><CR>``.

:class:`FrameReader` cuts a byte stream into frames with bounded memory: a frame above
``max_bytes`` is read to its end without being kept (only its head, so an ACK can still
be addressed), and bytes that do not form a frame come back as a malformed frame instead
of being silently skipped.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from intakeflow.errors import E

SB = b"\x0b"
EB = b"\x1c"
CR = b"\x0d"
#: bytes senders put between frames (line ends, keep-alive spaces); ignored there
_BETWEEN_FRAMES = b"\r\n\t "
_CHUNK = 64 * 1024


def frame(payload: bytes) -> bytes:
    """Wrap one message in an MLLP block."""
    return SB + payload + EB + CR


@dataclass(frozen=True)
class Frame:
    """One frame read from the stream. ``error`` set means it must be rejected; then
    ``payload`` holds at most its first ``max_bytes`` bytes."""

    payload: bytes
    size: int
    error: E | None = None
    why: str = ""


class FrameTruncated(Exception):
    """The peer closed the connection inside a frame; ``received`` bytes were dropped."""

    def __init__(self, received: int) -> None:
        super().__init__(f"connection closed inside an MLLP frame after {received} bytes")
        self.received = received


class FrameReader:
    """Read frames from an asyncio stream.

    ``next_frame()`` returns a :class:`Frame`, or ``None`` when the peer closed the
    connection between frames; it raises :class:`FrameTruncated` when the peer closed it
    inside one and ``TimeoutError`` when no byte came for ``idle_timeout`` seconds.
    """

    def __init__(self, reader: asyncio.StreamReader, max_bytes: int, idle_timeout: float | None) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be positive")
        self._reader = reader
        self.max_bytes = max_bytes
        self.idle_timeout = idle_timeout
        self._buf = bytearray()
        self._eof = False

    async def _fill(self) -> bool:
        """Read one chunk into the buffer; False at end of stream."""
        if self._eof:
            return False
        async with asyncio.timeout(self.idle_timeout):
            chunk = await self._reader.read(_CHUNK)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    async def next_frame(self) -> Frame | None:
        while True:
            start = _first_not_in(self._buf, _BETWEEN_FRAMES)
            del self._buf[:start]
            if self._buf:
                break
            if not await self._fill():
                return None
        if self._buf[:1] != SB:
            return await self._stray_bytes()
        return await self._block()

    async def _block(self) -> Frame:
        """The buffer starts with SB: read through EB CR."""
        scanned = 1
        while True:
            eb = self._buf.find(EB, scanned)
            sb = self._buf.find(SB, 1, eb if eb >= 0 else len(self._buf))
            if sb >= 0:  # a new block started before this one ended: the sender gave up on it
                head = bytes(self._buf[1:sb])
                del self._buf[:sb]
                return self._reject(head, len(head), E.E111_MLLP_MALFORMED, "start block inside a frame")
            if eb >= 0:
                if eb + 1 >= len(self._buf) and not await self._fill():
                    raise FrameTruncated(eb - 1)
                payload = bytes(self._buf[1:eb])
                ends_well = self._buf[eb + 1 : eb + 2] == CR
                del self._buf[: eb + (2 if ends_well else 1)]
                if len(payload) > self.max_bytes:
                    return self._reject(payload, len(payload), E.E110_MLLP_TOO_LARGE, "")
                if not ends_well:
                    return self._reject(payload, len(payload), E.E111_MLLP_MALFORMED, "end block without CR")
                return Frame(payload, len(payload))
            if len(self._buf) - 1 > self.max_bytes:
                return await self._drain_oversize()
            scanned = len(self._buf)
            if not await self._fill():
                raise FrameTruncated(len(self._buf) - 1)

    async def _drain_oversize(self) -> Frame:
        """Keep the head, discard the rest of the frame as it streams in."""
        head = bytes(self._buf[1 : 1 + self.max_bytes])
        size = len(self._buf) - 1
        del self._buf[:]
        while True:
            if not await self._fill():
                raise FrameTruncated(size)
            eb = self._buf.find(EB)
            if eb < 0:
                size += len(self._buf)
                del self._buf[:]
                continue
            size += eb
            if eb + 1 >= len(self._buf):
                await self._fill()
            del self._buf[: eb + (2 if self._buf[eb + 1 : eb + 2] == CR else 1)]
            return self._reject(head, size, E.E110_MLLP_TOO_LARGE, "")

    async def _stray_bytes(self) -> Frame:
        """Bytes outside a block (e.g. a sender that forgot SB): up to the next EB or SB,
        returned as one malformed frame so its MSH, if any, can still get an answer."""
        while True:
            eb, sb = self._buf.find(EB), self._buf.find(SB)
            cut = min(i for i in (eb, sb, len(self._buf)) if i >= 0)
            if cut < len(self._buf) or len(self._buf) > self.max_bytes or not await self._fill():
                break
        cut = min(cut, self.max_bytes)
        head = bytes(self._buf[:cut])
        skip = cut + 1 if self._buf[cut : cut + 1] == EB else cut
        if self._buf[skip : skip + 1] == CR:
            skip += 1
        del self._buf[:skip]
        return self._reject(head, len(head), E.E111_MLLP_MALFORMED, "bytes outside a start block")

    def _reject(self, head: bytes, size: int, error: E, why: str) -> Frame:
        return Frame(head[: self.max_bytes], size, error, why)


def _first_not_in(buf: bytearray, chars: bytes) -> int:
    i = 0
    while i < len(buf) and buf[i] in chars:
        i += 1
    return i
