"""FHIR files of Communications -> InboundMessage, Quarantined or filtered: what
``intakeflow stage fhir`` reads, and what a Bulk Data export streams (``fhir_bulk``).

NDJSON (``.ndjson``/``.jsonl``, one resource a line, as a Bulk Data export writes them) or
one JSON document (a Bundle, nested Bundles included, or a single resource); ``.gz`` is
decompressed. Never raises for bad input: an unreadable file, a line or document that is not
JSON, a Communication that fails validation or has no text becomes a Quarantined with a
catalogue code. Filtered by design (counted in ``filtered`` by reason, not yielded):
redacted copies that write-back created (``is_derived``), other resource types, statuses
not in ``statuses`` (``None``: all).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from intakeflow.errors import E
from intakeflow.results import Quarantined, SourceItem

FHIR_SUFFIXES: tuple[str, ...] = (".ndjson", ".jsonl", ".json")
NDJSON_SUFFIXES: tuple[str, ...] = (".ndjson", ".jsonl")
DEFAULT_STATUSES: frozenset[str] = frozenset({"completed"})

Quarantine = Callable[[str, str, str], Quarantined]


def quarantiner(source: str, origin: str) -> Quarantine:
    """``quarantine(where, code, reason)``: a Quarantined keyed ``file:{origin}{where}``."""

    def quarantine(where: str, code: str, reason: str) -> Quarantined:
        return Quarantined(source, f"file:{origin}{where}", code, reason, {"origin": origin})

    return quarantine


def read_fhir_file(
    path: Path,
    root: Path | None = None,
    *,
    source: str = "fhir",
    statuses: frozenset[str] | None = DEFAULT_STATUSES,
    filtered: Counter[str] | None = None,
) -> Iterator[SourceItem]:
    """Communications of a FHIR file (see the module docstring); the origin in quarantine
    keys is the path relative to ``root`` (else the file name)."""
    filtered = filtered if filtered is not None else Counter()
    origin = path.relative_to(root).as_posix() if root is not None else path.name
    quarantine = quarantiner(source, origin)

    try:
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = gzip.decompress(data)
    except OSError as exc:
        yield quarantine("", "E023", E.E023_FILE_UNREADABLE.format(why=type(exc).__name__))
        return
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield quarantine("", "E023", E.E023_FILE_UNREADABLE.format(why=f"gzip: {type(exc).__name__}"))
        return
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]

    if path.name.lower().removesuffix(".gz").endswith(NDJSON_SUFFIXES):
        yield from ndjson_items(data.splitlines(), origin, source=source, statuses=statuses, filtered=filtered)
        return
    documents: list[tuple[str, Any]] = []  # (where, parsed JSON)
    try:
        documents.append(("", json.loads(data.decode("utf-8"))))
    except UnicodeDecodeError:
        yield quarantine("", "E004", E.E004_BAD_ENCODING.format(encoding="utf-8"))
    except ValueError:
        yield quarantine("", "E031", E.E031_FHIR_INVALID.format(resource="document", why="not valid JSON"))
    except RecursionError:
        yield quarantine("", "E031", E.E031_FHIR_INVALID.format(resource="document", why="nested too deep"))
    yield from document_items(documents, quarantine, source=source, statuses=statuses, filtered=filtered)


def ndjson_items(
    lines: Iterable[bytes],
    origin: str,
    *,
    source: str = "fhir",
    statuses: frozenset[str] | None = DEFAULT_STATUSES,
    filtered: Counter[str] | None = None,
    first_line: int = 1,
) -> Iterator[SourceItem]:
    """The items of NDJSON ``lines`` (without their line ends), numbered from ``first_line``
    in quarantine keys (``file:{origin}#line{n}``): a streamed file read in parts keys each
    line as the whole file would."""
    filtered = filtered if filtered is not None else Counter()
    quarantine = quarantiner(source, origin)
    for number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        where = f"#line{number}"
        try:
            parsed = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            yield quarantine(where, "E004", E.E004_BAD_ENCODING.format(encoding="utf-8"))
            continue
        except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
            parsed = None
        if isinstance(parsed, dict):
            yield from document_items([(where, parsed)], quarantine, source=source, statuses=statuses, filtered=filtered)
        else:
            yield quarantine(where, "E006", E.E006_BAD_JSON.format(line=number))


def document_items(
    documents: Iterable[tuple[str, Any]],
    quarantine: Quarantine,
    *,
    source: str,
    statuses: frozenset[str] | None,
    filtered: Counter[str],
) -> Iterator[SourceItem]:
    """The Communications of parsed documents (``(where, JSON)``), Bundles unpacked."""
    from intakeflow.sources.fhir_source import communication_to_inbound, is_derived  # fhir.resources: when used

    for where, doc in documents:
        try:
            found = list(_resources(doc, where))
        except RecursionError:
            yield quarantine(where, "E031", E.E031_FHIR_INVALID.format(resource="Bundle", why="nested too deep"))
            continue
        for at, resource in found:
            if isinstance(resource, _NotAList):
                yield quarantine(at, "E031", E.E031_FHIR_INVALID.format(resource="Bundle", why="entry is not a list"))
            elif not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
                why = "not a JSON object" if not isinstance(resource, dict) else "no resourceType"
                yield quarantine(at, "E031", E.E031_FHIR_INVALID.format(resource="resource", why=why))
            elif resource["resourceType"] != "Communication":
                filtered["other_type"] += 1
            elif is_derived(resource):
                filtered["derived"] += 1  # a redacted copy written back by this pipeline
            elif statuses is not None and resource.get("status") not in statuses:
                filtered["status"] += 1
            elif not resource.get("id"):
                yield quarantine(at, "E031", E.E031_FHIR_INVALID.format(resource="Communication", why="no id"))
            else:
                try:
                    yield communication_to_inbound(resource, source=source)
                except (AttributeError, TypeError, ValueError, RecursionError) as exc:
                    # a shape the mapping did not foresee: that one resource, coded, never the file
                    why = f"unexpected shape ({type(exc).__name__})"
                    yield quarantine(at, "E031", E.E031_FHIR_INVALID.format(resource="Communication", why=why))


class _NotAList:
    """Marks a Bundle whose ``entry`` is not a list (a string, an object)."""


def _resources(doc: Any, where: str) -> Iterator[tuple[str, Any]]:
    """The resources of a parsed document: a Bundle's entries (recursively), else itself."""
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        entries = doc.get("entry") or []
        if not isinstance(entries, list):
            yield where, _NotAList()
            return
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and "resource" in entry:
                yield from _resources(entry["resource"], f"{where}#entry{index}")
            else:
                yield f"{where}#entry{index}", entry
        return
    yield where, doc
