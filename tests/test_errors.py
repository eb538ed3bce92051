"""The error catalogue: one entry per code, each with a title and an operator action, and the
``intakeflow errors`` command that prints them."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from collections import Counter

import pytest

from intakeflow import errors
from intakeflow.cli import main
from intakeflow.errors import E, IntakeflowError, lookup, title_of

#: the fields a template may have: codes, counts, ids, sizes, names, never message text
SAFE_FIELDS = {
    "length", "limit", "kind", "encoding", "field", "line", "path", "why", "status", "method", "resource", "index",
    "attempts", "which", "name", "rid", "count", "trigger", "error", "size", "severity", "issue",
    # the watchdog's alerts (E12x): a source name as staged (mllp, hl7v2, fhir:<name>), seconds,
    # counts, a share and catalogue codes
    "source", "age", "window", "total", "share", "threshold", "codes",
}  # fmt: skip


def _fields(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]


def duplicate_codes(names: list[str]) -> list[str]:
    return sorted(code for code, n in Counter(name.split("_", 1)[0] for name in names).items() if n > 1)


def test_every_code_is_defined_once() -> None:
    # __members__ also holds aliases: a member whose template repeats another one's
    names = list(E.__members__)
    assert duplicate_codes(names) == []
    assert len(names) == len(list(E)), "a template is repeated: the member became an alias"


def test_the_duplicate_check_catches_a_reused_number() -> None:
    assert duplicate_codes(["E070_REDACT_BAD_SPANS", "E070_SPAN_KIND", "E071_X"]) == ["E070"]


@pytest.mark.parametrize("entry", list(E), ids=lambda e: e.name)
def test_entry_is_complete(entry: E) -> None:
    code = entry.code_id
    assert len(code) == 4 and code[0] == "E" and code[1:].isdigit()
    assert entry.value.startswith(f"{code}: "), "the template must start with its own code"
    assert entry.title.strip() and entry.action.strip()
    assert len(entry.title) <= 40 and not entry.title.endswith(".")
    assert "{" not in entry.title + entry.action  # plain text, no fields to fill
    assert lookup(code) is entry and lookup(code.lower()) is entry and lookup(entry.name) is entry


@pytest.mark.parametrize("entry", list(E), ids=lambda e: e.name)
def test_template_formats_with_its_fields(entry: E) -> None:
    fields = _fields(entry.value)
    assert set(fields) <= SAFE_FIELDS, "a template field that could carry message text"
    text = entry.format(**{f: "7" for f in fields})
    assert "{" not in text and "}" not in text and text.startswith(entry.code_id)
    exc = IntakeflowError(entry, **{f: "7" for f in fields})
    assert str(exc) == text and exc.code_id == entry.code_id


def test_str_and_code_id_are_unchanged() -> None:
    exc = IntakeflowError(E.E022_HL7_NO_TEXT)
    assert str(exc) == "E022: HL7 v2 message carries no OBX-5 or NTE-3 text" == str(E.E022_HL7_NO_TEXT)
    by_value = E("E022: HL7 v2 message carries no OBX-5 or NTE-3 text")  # type: ignore[call-arg]  # value lookup
    assert exc.code_id == "E022" and by_value is E.E022_HL7_NO_TEXT
    assert E.E002_TEXT_TOO_LONG.format(length=9, limit=5) == "E002: message text has 9 characters, above the limit of 5"


def test_renumbered_codes_are_distinct() -> None:
    assert E.E076_SPAN_KIND.code_id == "E076" and E.E070_REDACT_BAD_SPANS.code_id == "E070"
    assert E.E081_WAIT_FAILED.code_id == "E081" and E.E080_ROUTING_BAD_INPUT.code_id == "E080"


def test_exception_classes_live_in_the_catalogue_and_keep_their_old_homes() -> None:
    from intakeflow.pipeline.anonymizers import RedactionError as redaction_pkg
    from intakeflow.pipeline.anonymizers.base import RedactionError as redaction_base
    from intakeflow.pipeline.fallback import FallbackError as fallback_pkg
    from intakeflow.pipeline.fallback.config import FallbackError as fallback_config
    from intakeflow.pipeline.recognizers.site_formats import SiteFormatError
    from intakeflow.pipeline.routing import RoutingError

    assert redaction_pkg is redaction_base is errors.RedactionError
    assert fallback_pkg is fallback_config is errors.FallbackError
    assert SiteFormatError is errors.SiteFormatError and RoutingError is errors.RoutingError
    for cls in (errors.InputError, errors.ModelError, errors.SourceError, errors.SinkError, RoutingError,
                fallback_pkg, redaction_pkg, SiteFormatError):
        assert cls.__module__ == "intakeflow.errors" and issubclass(cls, IntakeflowError)


def test_title_of_stored_codes() -> None:
    assert title_of("E022") == E.E022_HL7_NO_TEXT.title
    assert title_of(None) == title_of("") == title_of("E999") == ""


def test_cli_table_lists_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["errors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["code", "title", "action"]
    assert [line[:4] for line in lines[1:]] == [e.code_id for e in E]
    row = next(line for line in lines if line.startswith("E022"))
    assert E.E022_HL7_NO_TEXT.title in row and E.E022_HL7_NO_TEXT.action in row


def test_cli_one_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["errors", "e022"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"E022  {E.E022_HL7_NO_TEXT.title}\n")
    assert E.E022_HL7_NO_TEXT.value in out and E.E022_HL7_NO_TEXT.action in out
    assert "E021" not in out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["errors", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{"code": e.code_id, "title": e.title, "action": e.action, "message": e.value} for e in E]
    assert main(["errors", "E081", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"code": "E081", "title": E.E081_WAIT_FAILED.title, "action": E.E081_WAIT_FAILED.action,
         "message": E.E081_WAIT_FAILED.value}]


def test_cli_unknown_code_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["errors", "E999"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1 and "E999" in captured.err


def test_errors_cli_is_import_light() -> None:
    code = ("import sys, intakeflow.cli.errors; "
            "heavy = [m for m in sys.modules if m.split('.')[0] in ('onnxruntime', 'airflow', 'numpy', 'tqdm')]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
