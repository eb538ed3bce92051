from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hl7_samples import message, message_without_text

from intakeflow.results import InboundMessage, Quarantined
from intakeflow.sources.hl7_files import (
    iter_archive,
    list_archive_files,
    read_file,
    split_file_bytes,
    split_messages,
)


def _batch(n: int, declared: int | None = None) -> bytes:
    body = "".join(message(ctrl=f"B{i}") for i in range(n))
    count = n if declared is None else declared
    return (f"FHS|^~\\&|PORTAL\rBHS|^~\\&|PORTAL\r{body}BTS|{count}\rFTS|1\r").encode()


def test_split_plain_concatenated_messages() -> None:
    data = (message(ctrl="A1") + message(ctrl="A2", sep="\n")).encode()
    parts = split_messages(data)
    assert len(parts) == 2
    assert all(p.startswith(b"MSH|") for p in parts)
    assert b"\n" not in parts[1]


def test_split_batch_removes_envelope() -> None:
    result = split_file_bytes(_batch(3))
    assert len(result.messages) == 3
    assert not result.problems
    assert not any(p.startswith((b"FHS", b"BHS")) or b"BTS" in p for p in result.messages)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (_batch(2, declared=3), "BTS-1"),
        (_batch(2).split(b"BTS")[0], "without trailer"),
    ],
)
def test_split_batch_problems_are_reported(data: bytes, why: str) -> None:
    result = split_file_bytes(data)
    assert len(result.messages) == 2
    assert [code for code, _ in result.problems] == ["E024"]
    assert why in result.problems[0][1]


def test_split_mllp_capture() -> None:
    frames = b"".join(b"\x0b" + message(ctrl=f"M{i}").encode() + b"\x1c\x0d" for i in range(3))
    result = split_file_bytes(b"noise before" + frames)
    assert len(result.messages) == 3
    assert not result.problems


def test_split_truncated_mllp_frame() -> None:
    data = b"\x0b" + message(ctrl="M1").encode() + b"\x1c\x0d\x0b" + message(ctrl="M2").encode()[:40]
    result = split_file_bytes(data)
    assert len(result.messages) == 1
    assert result.problems and result.problems[0][0] == "E024"


def test_stray_text_before_first_msh_is_a_problem() -> None:
    result = split_file_bytes(b"garbage line\r" + message().encode())
    assert len(result.messages) == 1
    assert [c for c, _ in result.problems] == ["E021"]


def test_read_gz_file(tmp_path: Path) -> None:
    path = tmp_path / "feed.hl7.gz"
    path.write_bytes(gzip.compress(_batch(2)))
    results = list(read_file(path))
    assert [type(r) for r in results] == [InboundMessage, InboundMessage]


def test_read_truncated_gz_file_quarantines(tmp_path: Path) -> None:
    path = tmp_path / "feed.hl7.gz"
    blob = gzip.compress(_batch(5))
    path.write_bytes(blob[: len(blob) // 2])
    results = list(read_file(path, tmp_path))
    assert len(results) == 1
    out = results[0]
    assert isinstance(out, Quarantined)
    assert out.reason_code == "E024"
    assert out.source_id == "file:feed.hl7.gz"


def test_read_unreadable_file_quarantines(tmp_path: Path) -> None:
    results = list(read_file(tmp_path / "missing.hl7", tmp_path))
    assert len(results) == 1 and isinstance(results[0], Quarantined)
    assert results[0].reason_code == "E023"


def test_read_mixed_file_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes(message(ctrl="OK1").encode() + message_without_text().encode() + b"MSH|^~\\&|X")
    results = list(read_file(path))
    kinds = [(type(r).__name__, getattr(r, "reason_code", None)) for r in results]
    assert kinds == [("InboundMessage", None), ("Quarantined", "E022"), ("Quarantined", "E024")]


def _day_file(root: Path, day: str, name: str, ctrl: str) -> Path:
    folder = root.joinpath(*day.split("-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(message(ctrl=ctrl).encode())
    return path


def test_archive_layout_selects_days_overlapping_interval(tmp_path: Path) -> None:
    a = _day_file(tmp_path, "2024-03-04", "a.hl7", "D1")
    b = _day_file(tmp_path, "2024-03-05", "b.txt", "D2")
    _day_file(tmp_path, "2024-03-06", "c.hl7", "D3")
    _day_file(tmp_path, "2024-03-05", "ignored.pdf", "D4")
    (tmp_path / "2024" / "03" / "05" / "sub").mkdir()
    start, end = datetime(2024, 3, 4, tzinfo=UTC), datetime(2024, 3, 6, tzinfo=UTC)
    assert list_archive_files(tmp_path, start, end) == [a, b]
    # a sub-day interval reads its whole day folder
    assert list_archive_files(tmp_path, datetime(2024, 3, 5, 6), datetime(2024, 3, 5, 7)) == [b]
    assert list_archive_files(tmp_path, end, start) == []
    ids = [m.source_id for m in iter_archive(tmp_path, start, end)]
    assert ids == ["NORTHCLINIC|D1", "NORTHCLINIC|D2"]
    origins = [m.meta["origin"] for m in iter_archive(tmp_path, start, end)]
    assert origins == ["2024/03/04/a.hl7#0", "2024/03/05/b.txt#0"]


@pytest.mark.parametrize("content", [b"", b"\r\n\n  \r"])
def test_an_empty_file_is_a_quarantine_record(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.hl7"
    path.write_bytes(content)
    (item,) = read_file(path, tmp_path)
    assert isinstance(item, Quarantined) and item.reason_code == "E026" and item.source_id == "file:empty.hl7"
