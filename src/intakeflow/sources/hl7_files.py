"""HL7 v2 archive files -> messages.

Archive layout (one clear rule): ``<root>/YYYY/MM/DD/<name>`` where ``<name>`` ends in
``.hl7``, ``.txt`` or ``.mllp``, optionally followed by ``.gz``. A file belongs to the UTC
calendar day of its folder; a data interval ``[start, end)`` reads every day folder whose
day overlaps it. Sub-day intervals therefore re-read their whole day folder, which is
harmless because staging is idempotent on ``(source, source_id, pipeline_version)``.
File modification times are never used: copying an archive must not change what a run reads.

A file may hold one message, several messages one after another, an FHS/BHS batch, or an
MLLP capture (``0x0b message 0x1c 0x0d`` frames).
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from intakeflow.errors import E
from intakeflow.results import Quarantined, SourceItem
from intakeflow.sources.filters import DEFAULT_HL7_FILTERS, FilterRule
from intakeflow.sources.hl7_parse import HL7_SOURCE, parse_hl7, validation_mode

ARCHIVE_SUFFIXES: tuple[str, ...] = (".hl7", ".txt", ".mllp")
_MLLP_START = b"\x0b"
_MLLP_END = b"\x1c"
_ENVELOPE = (b"FHS", b"BHS", b"BTS", b"FTS")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


@dataclass
class SplitResult:
    """Messages found in a file plus problems (truncation, stray text) found while splitting."""

    messages: list[bytes] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (code, reason)


def split_messages(data: bytes) -> list[bytes]:
    """Split file bytes into complete messages (segments joined by CR, envelopes removed).

    An unterminated trailing MLLP frame is not returned; use :func:`split_file_bytes` to
    see such problems.
    """
    return split_file_bytes(data).messages


def split_file_bytes(data: bytes) -> SplitResult:
    """Like :func:`split_messages`, also reporting truncated frames and batches."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if _MLLP_START in data:
        return _split_mllp(data)
    return _split_plain(data)


def read_file(
    path: Path,
    root: Path | None = None,
    filters: Sequence[FilterRule] = DEFAULT_HL7_FILTERS,
    validation: str | None = None,
) -> Iterator[SourceItem]:
    """Yield one result per message in ``path`` (``.gz`` is decompressed); ``filters``
    decide which messages without text are filtered (:mod:`intakeflow.sources.filters`);
    ``validation`` is ``fast`` or ``full`` (:func:`~intakeflow.sources.hl7_parse.validation_mode`:
    the same results either way, ``fast`` in a tenth of the time).

    File-level failures (unreadable, truncated gzip or MLLP frame, unterminated batch) are
    yielded as Quarantined with ``source_id`` ``file:<origin>`` and never raised.
    """
    origin = _origin(path, root)
    mode = validation_mode(validation)  # once per file; a bad setting fails before any read
    try:
        data = _read_bytes(path)
    except OSError as exc:
        yield _file_quarantine(origin, "E023", E.E023_FILE_UNREADABLE.format(why=type(exc).__name__))
        return
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield _file_quarantine(origin, "E024", E.E024_HL7_TRUNCATED.format(why=f"gzip: {type(exc).__name__}"))
        return
    split = split_file_bytes(data)
    for index, raw in enumerate(split.messages):
        yield parse_hl7(raw, f"{origin}#{index}", filters, mode)
    for n, (code, reason) in enumerate(split.problems):
        yield _file_quarantine(f"{origin}#problem{n}", code, reason)
    if not split.messages and not split.problems:
        # a file the archive job left empty is a record too: an empty day is never silent
        yield _file_quarantine(origin, "E026", E.E026_FILE_EMPTY.format())


def list_archive_files(root: Path, start: datetime, end: datetime) -> list[Path]:
    """Archive files of the day folders overlapping ``[start, end)``, sorted (for sharding).

    Naive datetimes are taken as UTC.
    """
    files: list[Path] = []
    for day in _days(start, end):
        folder = root / f"{day.year:04d}" / f"{day.month:02d}" / f"{day.day:02d}"
        if not folder.is_dir():
            continue
        files.extend(p for p in folder.iterdir() if p.is_file() and is_archive_name(p.name))
    return sorted(files)


def iter_archive(
    root: Path,
    start: datetime,
    end: datetime,
    filters: Sequence[FilterRule] = DEFAULT_HL7_FILTERS,
    validation: str | None = None,
) -> Iterator[SourceItem]:
    """Every message of the archive files for ``[start, end)``, in file order."""
    for path in list_archive_files(root, start, end):
        yield from read_file(path, root, filters, validation)


def is_archive_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    return lower.endswith(ARCHIVE_SUFFIXES) and not name.startswith(".")


# -- helpers ---------------------------------------------------------------------------------


def _days(start: datetime, end: datetime) -> list[date]:
    s, e = _utc(start), _utc(end)
    if e <= s:
        return []
    day = s.date()
    days = []
    while datetime(day.year, day.month, day.day, tzinfo=UTC) < e:
        days.append(day)
        day += timedelta(days=1)
    return days


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _origin(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        return gzip.decompress(data)
    return data


def _file_quarantine(origin: str, code: str, reason: str) -> Quarantined:
    return Quarantined(HL7_SOURCE, f"file:{origin}", code, reason, {"origin": origin})


def _split_mllp(data: bytes) -> SplitResult:
    result = SplitResult()
    pos = 0
    while True:
        begin = data.find(_MLLP_START, pos)
        if begin < 0:
            break
        stop = data.find(_MLLP_END, begin + 1)
        if stop < 0:
            result.problems.append(("E024", E.E024_HL7_TRUNCATED.format(why="MLLP frame without end block")))
            break
        inner = _split_plain(data[begin + 1 : stop])
        result.messages.extend(inner.messages)
        result.problems.extend(inner.problems)
        pos = stop + 1
    return result


def _split_plain(data: bytes) -> SplitResult:
    result = SplitResult()
    current: list[bytes] = []
    stray = 0
    open_batches: list[bytes] = []
    batch_counts: list[int] = []
    for line in _LINE_BREAK.split(data):
        if not line.strip():
            continue
        head = line[:3]
        if head in _ENVELOPE:
            _flush(current, result)
            current = []
            if head in (b"FHS", b"BHS"):
                open_batches.append(head)
                batch_counts.append(len(result.messages))
            else:
                _close_batch(head, line, open_batches, batch_counts, result)
            continue
        if head == b"MSH":
            _flush(current, result)
            current = [line]
        elif current:
            current.append(line)
        else:
            stray += 1
    _flush(current, result)
    if stray:
        result.problems.append(("E021", E.E021_HL7_NO_MSH.format()))
    if open_batches:
        result.problems.append(("E024", E.E024_HL7_TRUNCATED.format(why="batch header without trailer")))
    return result


def _flush(current: list[bytes], result: SplitResult) -> None:
    if current:
        result.messages.append(b"\r".join(current))


def _close_batch(
    head: bytes, line: bytes, open_batches: list[bytes], batch_counts: list[int], result: SplitResult
) -> None:
    opener = b"BHS" if head == b"BTS" else b"FHS"
    if not open_batches or open_batches[-1] != opener:
        result.problems.append(("E024", E.E024_HL7_TRUNCATED.format(why="batch trailer without header")))
        return
    open_batches.pop()
    first = batch_counts.pop()
    if head == b"BTS":
        declared = line[4:].split(line[3:4] or b"|", 1)[0].strip() if len(line) > 4 else b""
        if declared.isdigit() and int(declared) != len(result.messages) - first:
            result.problems.append(("E024", E.E024_HL7_TRUNCATED.format(why="batch count differs from BTS-1")))
