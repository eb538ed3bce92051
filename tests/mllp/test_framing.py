from __future__ import annotations

import asyncio

import pytest

from intakeflow.errors import E
from intakeflow.mllp.framing import Frame, FrameReader, FrameTruncated, frame

MSG = b"MSH|^~\\&|A|B|C|D|20240301||ORU^R01|C1|P|2.5.1\rOBX|1|TX|||hello||||||F"


def read_all(chunks: list[bytes], max_bytes: int = 1000, idle: float | None = 1.0) -> list[Frame | str]:
    """Feed ``chunks`` to a reader and collect frames until the end (or the error raised)."""

    async def run() -> list[Frame | str]:
        reader = asyncio.StreamReader()
        for c in chunks:
            reader.feed_data(c)
        reader.feed_eof()
        frames = FrameReader(reader, max_bytes, idle)
        out: list[Frame | str] = []
        while True:
            try:
                got = await frames.next_frame()
            except FrameTruncated as exc:
                return [*out, f"truncated:{exc.received}"]
            if got is None:
                return out
            out.append(got)

    return asyncio.run(run())


def test_frames_in_one_chunk_and_between_frame_whitespace() -> None:
    out = read_all([frame(MSG) + b"\r\n" + frame(MSG + b"2")])
    assert [f.payload for f in out if isinstance(f, Frame)] == [MSG, MSG + b"2"]
    assert all(isinstance(f, Frame) and f.error is None for f in out)


@pytest.mark.parametrize("size", [1, 2, 7, 64])
def test_frames_split_across_reads(size: int) -> None:
    data = frame(MSG) + frame(MSG)
    out = read_all([data[i : i + size] for i in range(0, len(data), size)])
    assert [f.payload for f in out if isinstance(f, Frame)] == [MSG, MSG]


def test_clean_end_between_frames_returns_none() -> None:
    assert read_all([]) == []
    assert read_all([b"\r\n"]) == []


@pytest.mark.parametrize(("data", "received"), [(b"\x0b" + MSG[:20], 20), (b"\x0b" + MSG + b"\x1c", len(MSG))])
def test_end_of_stream_inside_a_frame(data: bytes, received: int) -> None:
    assert read_all([data]) == [f"truncated:{received}"]


def test_oversize_frame_is_drained_and_the_next_one_read() -> None:
    big = MSG + b"x" * 5000
    data = frame(big) + frame(MSG)
    out = read_all([data[i : i + 300] for i in range(0, len(data), 300)], max_bytes=500)
    first, second = out
    assert isinstance(first, Frame) and first.error is E.E110_MLLP_TOO_LARGE
    assert first.size == len(big) and first.payload == big[:500]
    assert isinstance(second, Frame) and second.error is None and second.payload == MSG


def test_frame_of_exactly_max_bytes_is_accepted() -> None:
    (only,) = read_all([frame(MSG)], max_bytes=len(MSG))
    assert isinstance(only, Frame) and only.error is None
    (over,) = read_all([frame(MSG)], max_bytes=len(MSG) - 1)
    assert isinstance(over, Frame) and over.error is E.E110_MLLP_TOO_LARGE


@pytest.mark.parametrize(
    ("data", "why", "head"),
    [
        (MSG + b"\x1c\r" + frame(MSG), "bytes outside a start block", MSG),
        (b"\x0b" + MSG + b"\x1c" + frame(MSG), "end block without CR", MSG),
        (b"\x0b" + MSG[:30] + frame(MSG), "start block inside a frame", MSG[:30]),
    ],
)
def test_malformed_frames_are_reported_and_reading_goes_on(data: bytes, why: str, head: bytes) -> None:
    first, second = read_all([data])
    assert isinstance(first, Frame) and first.error is E.E111_MLLP_MALFORMED and first.why == why
    assert first.payload == head
    assert isinstance(second, Frame) and second.error is None and second.payload == MSG


def test_idle_stream_times_out() -> None:
    async def run() -> None:
        reader = asyncio.StreamReader()
        reader.feed_data(b"\x0b" + MSG[:10])
        await FrameReader(reader, 1000, 0.05).next_frame()

    with pytest.raises(TimeoutError):
        asyncio.run(run())


def test_reader_rejects_non_positive_limit() -> None:
    async def run() -> None:
        FrameReader(asyncio.StreamReader(), 0, None)

    with pytest.raises(ValueError, match="max_bytes"):
        asyncio.run(run())
