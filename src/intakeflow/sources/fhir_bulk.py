"""FHIR Bulk Data Access (``$export``), the client side: kick-off, status, files, delete.

Follows the Bulk Data Access IG 2.0 (https://hl7.org/fhir/uv/bulkdata/export.html): the
kick-off (system ``[base]/$export``, patient ``[base]/Patient/$export`` or group
``[base]/Group/[id]/$export``) is a GET with ``Prefer: respond-async`` answered 202 with the
status URL in ``Content-Location``; the status URL answers 202 (with ``Retry-After`` and
``X-Progress``) until the export is done, then 200 with the manifest; the output files are
NDJSON; a DELETE on the status URL tells the server the client is done.

Files are read as streams of lines, each with the byte offset after it, from a checkpoint:
with ``Range: bytes=N-`` when the server serves ranges (206), else from the start with the
lines already staged skipped (the line-count checkpoint). Nothing here touches the store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urljoin

import httpx

from intakeflow.errors import E, SourceError
from intakeflow.sources.fhir_client import FHIR_JSON, FhirClient, retry_after_seconds

log = logging.getLogger(__name__)

NDJSON_TYPE = "application/fhir+ndjson"
Level = Literal["system", "patient", "group"]
#: wait between status polls when the server gives no Retry-After (seconds), and the bounds
DEFAULT_POLL_S = 10.0
MIN_POLL_S = 1.0
MAX_POLL_S = 300.0


@dataclass(frozen=True)
class ExportRequest:
    """What to export: ``level`` (system, patient or group; ``group_id`` for a group),
    resource ``types`` (``_type``), and an explicit ``since`` (``_since``; None: the
    watermark of the last complete export, or everything on the first)."""

    level: Level = "system"
    group_id: str | None = None
    types: tuple[str, ...] = ("Communication",)
    since: datetime | None = None

    def __post_init__(self) -> None:
        if self.level not in ("system", "patient", "group"):
            raise SourceError(E.E050_CONFIG, why="Bulk Data export level must be system, patient or group")
        if (self.level == "group") != bool(self.group_id):
            raise SourceError(E.E050_CONFIG, why="a group export needs a group id, and only a group export takes one")
        if not self.types or any(not t.isalnum() for t in self.types):
            raise SourceError(E.E050_CONFIG, why="Bulk Data export types must be FHIR resource type names")

    @property
    def key(self) -> str:
        """What the watermark is kept for: level, group and types (not ``since``)."""
        return f"{self.level}:{self.group_id or '-'}:{','.join(sorted(self.types))}"

    @property
    def path(self) -> str:
        if self.level == "group":
            return f"Group/{self.group_id}/$export"
        return "Patient/$export" if self.level == "patient" else "$export"


@dataclass(frozen=True)
class OutputFile:
    type: str
    url: str
    count: int | None = None


@dataclass(frozen=True)
class Manifest:
    transaction_time: datetime
    request: str
    requires_access_token: bool
    output: tuple[OutputFile, ...]
    error: tuple[OutputFile, ...]
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def parse(cls, body: Any) -> Manifest:
        if not isinstance(body, dict):
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="Bulk Data manifest is not a JSON object")
        when = body.get("transactionTime")
        if not isinstance(when, str):
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="Bulk Data manifest has no transactionTime")
        return cls(
            transaction_time=parse_instant(when),
            request=str(body.get("request") or ""),
            requires_access_token=bool(body.get("requiresAccessToken", True)),
            output=_files(body.get("output"), "output"),
            error=_files(body.get("error"), "error"),
            raw=body,
        )


@dataclass(frozen=True)
class Status:
    """One poll of the status URL: ``done`` with the manifest, or still running."""

    done: bool
    manifest: Manifest | None = None
    retry_after: float | None = None
    progress: str | None = None

    def wait_s(self, default: float = DEFAULT_POLL_S) -> float:
        """How long to wait before the next poll: the server's Retry-After within bounds."""
        value = self.retry_after if self.retry_after is not None else default
        return min(MAX_POLL_S, max(MIN_POLL_S, value))


def kick_off(client: FhirClient, request: ExportRequest, since: datetime | str | None) -> str:
    """Start an export; returns the absolute status URL (``Content-Location``). ``since`` is
    an instant, or the text of one (a server's own transactionTime, sent back verbatim)."""
    params: list[tuple[str, str]] = [("_type", ",".join(request.types))]
    if since is not None:
        params.append(("_since", since if isinstance(since, str) else format_instant(since)))
    response = client.request("GET", request.path, params=params,
                              headers={"Accept": FHIR_JSON, "Prefer": "respond-async"})
    if response.status_code != 202:
        raise SourceError(E.E038_FHIR_BULK_FAILED, why=f"kick-off answered HTTP {response.status_code}, not 202")
    location = response.headers.get("Content-Location")
    if not location:
        raise SourceError(E.E038_FHIR_BULK_FAILED, why="kick-off answer has no Content-Location")
    status_url = urljoin(client.base_url, location)
    if not client.same_origin(status_url):
        raise SourceError(E.E038_FHIR_BULK_FAILED, why="status URL points outside the FHIR server")
    log.info("Bulk Data export started (%s, since %s)", request.key, params[1][1] if since is not None else "the start")
    return status_url


#: statuses of the status URL that end the job for the client (others are retried or raised)
_FINAL = (400, 403, 404, 410, 422, 500)


def poll(client: FhirClient, status_url: str) -> Status:
    """Poll the status URL once. A 404 or 410 raises E038 with ``params['gone']`` true (the
    server no longer knows the job: expired or deleted); other error answers raise E038
    with the status and the OperationOutcome's issue code."""
    response = client.request("GET", status_url, headers={"Accept": FHIR_JSON}, ok_statuses=(202, *_FINAL))
    if response.status_code == 202:
        return Status(False, retry_after=retry_after_seconds(response), progress=_progress(response))
    if response.status_code == 200:
        try:
            body = response.json()
        except ValueError:
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="Bulk Data manifest is not JSON") from None
        return Status(True, manifest=Manifest.parse(body))
    issue = _issue_code(response)
    gone = response.status_code in (404, 410)
    raise SourceError(E.E038_FHIR_BULK_FAILED, why=f"status URL answered HTTP {response.status_code} ({issue})",
                      gone=gone)


def delete(client: FhirClient, status_url: str) -> bool:
    """DELETE the job (the client is done with its files); False when the server refused."""
    try:
        response = client.request("DELETE", status_url, ok_statuses=(404, 410))
    except SourceError as exc:
        log.warning("Bulk Data export could not be deleted: %s", exc)
        return False
    return response.is_success


@dataclass
class FileProgress:
    """The checkpoint of one output file: lines staged, bytes they take, whether the
    server serves ranges for it (``ranged``), and ``done`` once the whole file is staged."""

    lines: int = 0
    bytes: int = 0
    ranged: bool = False
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"lines": self.lines, "bytes": self.bytes, "ranged": self.ranged, "done": self.done}

    @classmethod
    def of(cls, value: Any) -> FileProgress:
        if not isinstance(value, dict):
            return cls()
        return cls(int(value.get("lines") or 0), int(value.get("bytes") or 0), bool(value.get("ranged")),
                   bool(value.get("done")))


@dataclass
class FileStream:
    """A started download; iterate :meth:`lines` for ``(line, number, offset after it)``."""

    response: httpx.Response | _Empty
    first_line: int
    start_byte: int
    skip_lines: int
    ranged: bool
    resumed: Literal["no", "range", "lines"]

    def lines(self) -> Iterator[tuple[bytes, int, int]]:
        number = self.first_line - 1
        offset = self.start_byte
        skip = self.skip_lines
        rest = b""
        for chunk in self.response.iter_bytes():
            rest += chunk
            *complete, rest = rest.split(b"\n")
            for line in complete:
                offset += len(line) + 1
                number += 1
                if skip:
                    skip -= 1
                    continue
                yield line.rstrip(b"\r"), number, offset
        if rest:  # a last line without its newline: the stream ended normally, so it is whole
            offset += len(rest)
            if skip:
                return
            yield rest.rstrip(b"\r"), number + 1, offset


@contextmanager
def open_file(
    client: FhirClient, url: str, progress: FileProgress, *, requires_token: bool
) -> Iterator[FileStream]:
    """Open output file ``url`` to read what comes after ``progress``: from its byte offset
    when the server served ranges for it, else from the start, skipping the lines staged.
    A file that needs the access token is only fetched from the FHIR server itself; one
    that does not is fetched without credentials, wherever it is."""
    same = client.same_origin(url)
    if requires_token and not same:
        raise SourceError(E.E038_FHIR_BULK_FAILED, why="a file that needs the access token is on another server")
    headers = {"Accept": f"{NDJSON_TYPE}, application/ndjson;q=0.9, */*;q=0.1"}
    wants_range = progress.bytes > 0 and progress.ranged
    if wants_range:
        headers["Range"] = f"bytes={progress.bytes}-"
        headers["Accept-Encoding"] = "identity"  # byte offsets are of the plain file
    with client.stream(url, headers=headers, credentials=same, ok_statuses=(416,) if wants_range else ()) as response:
        encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("identity", "")
        ranges = response.headers.get("Accept-Ranges", "").lower() == "bytes" and not encoded
        if response.status_code == 416:
            # nothing after the offset: the last batch was staged, its "done" mark not written
            if response.headers.get("Content-Range", "") != f"bytes */{progress.bytes}":
                raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="the file is shorter than the part already staged")
            yield FileStream(_Empty(), progress.lines + 1, progress.bytes, 0, True, "range")
        elif response.status_code == 206:
            if not response.headers.get("Content-Range", "").startswith(f"bytes {progress.bytes}-"):
                raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="Content-Range does not start at the offset asked for")
            yield FileStream(response, progress.lines + 1, progress.bytes, 0, True, "range")
        else:  # the whole file: skip what is staged already
            resumed: Literal["no", "lines"] = "lines" if progress.lines else "no"
            yield FileStream(response, 1, 0, progress.lines, ranges, resumed)


class _Empty:
    """The body of a file read to its end already."""

    def iter_bytes(self) -> Iterator[bytes]:
        return iter(())


def outcome_summary(resource: Any) -> tuple[str, str]:
    """(severity, issue code) of an OperationOutcome's first issue, codes only."""
    issues = resource.get("issue") if isinstance(resource, dict) else None
    first = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
    severity, code = first.get("severity"), first.get("code")
    return (_token(severity) if isinstance(severity, str) else "unknown",
            _token(code) if isinstance(code, str) else "unknown")


def parse_instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="transactionTime is not an instant") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_instant(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _files(value: Any, what: str) -> tuple[OutputFile, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise SourceError(E.E036_FHIR_BAD_RESPONSE, why=f"Bulk Data manifest {what} is not a list")
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not item["url"]:
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why=f"Bulk Data manifest {what} entry has no url")
        count = item.get("count")
        out.append(OutputFile(str(item.get("type") or ""), item["url"], int(count) if isinstance(count, int) else None))
    return tuple(out)


def _progress(response: httpx.Response) -> str | None:
    value = response.headers.get("X-Progress")
    return _token(value, 80, keep=" %()./:-") if value else None


def _issue_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no OperationOutcome"
    severity, code = outcome_summary(body)
    return f"{severity}/{code}"


def _token(value: str, limit: int = 40, keep: str = "-_") -> str:
    return "".join(ch for ch in value if ch.isalnum() or ch in keep)[:limit] or "unknown"
