"""``intakeflow stage|process|status`` against the real PostgreSQL: one JSON line of counts
on stdout, a coded line on stderr when the store or server is unreachable, never text."""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest

from intakeflow.cli import main
from intakeflow.fhir_systems import DERIVED_ID_SYSTEM

pytestmark = pytest.mark.integration

#: message texts: none of them may reach stdout or stderr
TEXTS = [
    "please call me back about my refill",
    "my Aetna bill is wrong, member id W123456789",
    "can I move my appointment to friday",
    "I have chest pain since this morning",
    "can I move my visit to friday",
    "is my lab result in yet",
    "I need a new inhaler prescription",
]
MSH = "MSH|^~\\&|PORTAL|NORTHCLINIC|INTAKE|NORTHCLINIC|20240305143000-0500||ORU^R01|{ctrl}|P|2.5.1"
PID = "PID|1||MR-000123^^^NORTHCLINIC^MR||Testpatient^Alex"
OBX = "OBX|1|TX|NOTE^Patient message||{text}||||||F"
UNREACHABLE_DSN = "postgresql://postgres@127.0.0.1:1/test"


def _hl7(ctrl: str, text: str | None) -> str:
    segments = [MSH.format(ctrl=ctrl), PID] + ([OBX.format(text=text)] if text else [])
    return "\r".join(segments) + "\r"


def _hl7_folder(root: Path) -> Path:
    """Four messages with text (plain file of two, MLLP capture, gzipped FHS/BHS batch) and
    one without (E022), in nested folders; a file of another kind that is not read."""
    (root / "2024" / "03").mkdir(parents=True)
    (root / "a.hl7").write_text(_hl7("C1", TEXTS[0]) + _hl7("C2", TEXTS[1]))
    (root / "2024" / "03" / "b.mllp").write_bytes(b"\x0b" + _hl7("C3", TEXTS[2]).encode() + b"\x1c\r")
    batch = "FHS|^~\\&\rBHS|^~\\&\r" + _hl7("C4", TEXTS[3]) + "BTS|1\rFTS|1\r"
    (root / "2024" / "03" / "c.hl7.gz").write_bytes(gzip.compress(batch.encode()))
    (root / "2024" / "03" / "d.txt").write_text(_hl7("C5", None))
    (root / "notes.md").write_text("not an archive file")
    return root


def _comm(cid: str, text: str | None, status: str = "completed", **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Communication", "id": cid, "status": status,
                           "subject": {"reference": "Patient/p-1"}, "sent": "2024-03-05T09:59:00Z"}
    if text:
        res["payload"] = [{"contentString": text}]
    return {**res, **extra}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    """Exit status, stdout (parsed when JSON), stderr; checks that no text or traceback shows."""
    rc = main(list(argv))
    out = capsys.readouterr()
    for text in TEXTS:
        assert text not in out.out + out.err
    assert "Traceback" not in out.err
    body = out.out.strip()
    assert body.count("\n") == 0 or not body.startswith("{")  # JSON answers are one line
    return rc, (json.loads(body) if body.startswith("{") else body), out.err


def test_stage_hl7_folder_twice(tmp_path: Path, pg_dsn: str, store_schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _hl7_folder(tmp_path / "in")
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    rc, counts, err = _run(capsys, "stage", "hl7", str(folder), *store)
    assert (rc, counts) == (0, {"staged": 4, "duplicates": 0, "quarantined": 1, "filtered": 0})
    assert "4/4" in err  # the progress bar, on stderr
    rc, counts, _ = _run(capsys, "stage", "hl7", str(folder), *store, "--quiet")
    assert (rc, counts) == (0, {"staged": 0, "duplicates": 4, "quarantined": 1, "filtered": 0})
    # a single file under another source name is another key
    rc, counts, _ = _run(capsys, "stage", "hl7", str(folder / "a.hl7"), *store, "--source", "hl7v2:north", "--quiet")
    assert (rc, counts["staged"], counts["duplicates"]) == (0, 2, 0)
    rc, report, _ = _run(capsys, "status", *store, "--json")
    assert (rc, report["staged"], report["quarantine_by_code"]) == (0, 6, {"E022": 1})


def test_stage_fhir_ndjson_and_bundle(tmp_path: Path, pg_dsn: str, store_schema: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "export"
    export.mkdir()
    derived = _comm("d1", TEXTS[4], identifier=[{"system": DERIVED_ID_SYSTEM, "value": "k1"}])
    lines = [json.dumps(_comm("c1", TEXTS[4])), json.dumps(derived), '{"resourceType": "Communication", "id": ',
             "", json.dumps(_comm("c2", TEXTS[5])), json.dumps({"resourceType": "Patient", "id": "p-1"}), "[1, 2]"]
    (export / "Communication.ndjson.gz").write_bytes(gzip.compress("\n".join(lines).encode()))
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": _comm("b1", TEXTS[6])},
        {"resource": _comm("b2", None)},  # no payload: E032
        {"resource": _comm("b3", TEXTS[6], status="entered-in-error")},
        {"resource": {"resourceType": "OperationOutcome", "issue": []}, "search": {"mode": "outcome"}},
    ]}
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    argv = ["stage", "fhir", str(export), str(tmp_path / "bundle.json"), "--dsn", pg_dsn, "--schema", store_schema]
    rc, counts, _ = _run(capsys, *argv)
    # filtered: the derived copy, the Patient, the entered-in-error one and the OperationOutcome
    assert (rc, counts) == (0, {"staged": 3, "duplicates": 0, "quarantined": 3, "filtered": 4})
    rc, counts, _ = _run(capsys, *argv, "--quiet")
    assert (rc, counts) == (0, {"staged": 0, "duplicates": 3, "quarantined": 3, "filtered": 4})
    rc, counts, _ = _run(capsys, *argv, "--quiet", "--status", "any")  # b3 read too
    assert (rc, counts["staged"], counts["filtered"]) == (0, 1, 3)
    rc, report, _ = _run(capsys, "status", "--dsn", pg_dsn, "--schema", store_schema, "--json")
    assert rc == 0
    assert {k: report[k] for k in ("staged", "processed", "quarantined", "filtered")} == {
        "staged": 4, "processed": 0, "quarantined": 3, "filtered": 0}
    assert report["quarantine_by_code"] == {"E006": 2, "E032": 1}  # bad JSON, not an object; no text


def test_process_with_the_real_pipeline_then_status(tmp_path: Path, pg_dsn: str, store_schema: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    assert _run(capsys, "stage", "hl7", str(_hl7_folder(tmp_path / "in")), *store, "--quiet")[0] == 0
    rc, counts, _ = _run(capsys, "process", *store, "--batch-size", "3")
    assert (rc, counts) == (0, {"processed": 4, "quarantined": 0, "failed": 0, "delivered": 0})
    rc, counts, _ = _run(capsys, "process", *store)
    assert (rc, counts) == (0, {"processed": 0, "quarantined": 0, "failed": 0, "delivered": 0})
    rc, table, _ = _run(capsys, "status", *store)
    assert rc == 0 and f"store {store_schema}" in table
    rows = {line.split()[0]: line.split()[1] for line in table.splitlines()[2:8]}
    assert rows == {"staged": "0", "processed": "4", "delivered": "0", "quarantined": "1", "failed": "0", "filtered": "0"}
    assert "E022" in table and "quarantine by code" in table
    rc, report, _ = _run(capsys, "status", *store, "--json")
    assert (report["processed"], report["quarantine_by_code"]) == (4, {"E022": 1})


def test_process_in_two_processes(tmp_path: Path, pg_dsn: str, store_schema: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    # the option end to end: a spawned process, counts that add up, nothing printed but JSON;
    # that the processes really share the queue is tests/store/test_processing.py's to show
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    assert _run(capsys, "stage", "hl7", str(_hl7_folder(tmp_path / "in")), *store, "--quiet")[0] == 0
    rc, counts, _ = _run(capsys, "process", *store, "--batch-size", "1", "--workers", "1", "--processes", "2")
    assert (rc, counts) == (0, {"processed": 4, "quarantined": 0, "failed": 0, "delivered": 0})
    rc, report, _ = _run(capsys, "status", *store, "--json")
    assert (report["processed"], report["staged"]) == (4, 0)


def test_process_writes_back_to_fhir(tmp_path: Path, pg_dsn: str, store_schema: str, fhir_server: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    (tmp_path / "c.ndjson").write_text("\n".join(json.dumps(_comm(f"w{i}", TEXTS[i])) for i in range(2)))
    assert _run(capsys, "stage", "fhir", str(tmp_path / "c.ndjson"), *store, "--quiet")[1]["staged"] == 2
    rc, counts, _ = _run(capsys, "process", *store, "--write-back", fhir_server)
    assert (rc, counts) == (0, {"processed": 2, "quarantined": 0, "failed": 0, "delivered": 2})
    rc, counts, _ = _run(capsys, "process", *store, "--write-back", fhir_server)
    assert (rc, counts) == (0, {"processed": 0, "quarantined": 0, "failed": 0, "delivered": 0})
    assert _run(capsys, "status", *store, "--json")[1]["delivered"] == 2


@pytest.mark.parametrize("argv", [
    ["status"], ["status", "--json"], ["stage", "hl7", "{folder}"], ["stage", "fhir", "{folder}"], ["process"],
])
def test_unreachable_store_exits_1_with_one_coded_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       argv: list[str]) -> None:
    folder = _hl7_folder(tmp_path / "in")
    rc, out, err = _run(capsys, *[a.replace("{folder}", str(folder)) for a in argv], "--dsn", UNREACHABLE_DSN)
    lines = [line for line in err.splitlines() if line.strip()]
    assert (rc, out) == (1, "")
    assert lines == ["E051: PostgreSQL store unreachable (OperationalError)"]


def test_unreachable_fhir_server_exits_1_before_processing(tmp_path: Path, pg_dsn: str, store_schema: str,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    assert _run(capsys, "stage", "hl7", str(_hl7_folder(tmp_path / "in")), *store, "--quiet")[1]["staged"] == 4
    rc, out, err = _run(capsys, "process", *store, "--write-back", "http://127.0.0.1:1/fhir")
    assert (rc, out) == (1, "")
    assert err.strip().startswith("E034: FHIR server unreachable for GET metadata") and len(err.strip().splitlines()) == 1
    assert _run(capsys, "status", *store, "--json")[1]["staged"] == 4  # nothing was claimed


def test_dsn_from_the_environment(pg_dsn: str, store_schema: str, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("INTAKEFLOW_POSTGRES_DSN", pg_dsn)
    rc, report, err = _run(capsys, "status", "--schema", store_schema, "--json")
    assert (rc, report["staged"], report["quarantine_by_code"]) == (0, 0, {})  # no schema yet: an empty store
    assert "embedded" not in err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "stage", "hl7", str(tmp_path / "missing"), "--dsn", UNREACHABLE_DSN)
    assert (rc, out) == (2, "") and "no such file or folder" in err
    for argv in (["stage", "hl7"], ["stage", "xml", "f"], ["stage", "fhir", "f", "--source", "Bad Name"],
                 ["process", "--batch-size", "0"], ["status", "--schema", "x;drop"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
    capsys.readouterr()


@pytest.mark.slow
def test_embedded_postgres_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pgserver")
    monkeypatch.delenv("INTAKEFLOW_POSTGRES_DSN", raising=False)
    monkeypatch.chdir(tmp_path)
    folder = _hl7_folder(tmp_path / "in")
    rc, counts, err = _run(capsys, "stage", "hl7", str(folder), "--quiet")
    assert (rc, counts["staged"]) == (0, 4) and "embedded PostgreSQL under .state/postgres" in err
    rc, report, _ = _run(capsys, "status", "--json")  # a second process would see the same data
    assert (rc, report["staged"]) == (0, 4) and (tmp_path / ".state" / "postgres").is_dir()


def test_fhir_server_lost_during_write_back(tmp_path: Path, pg_dsn: str, store_schema: str, fhir_server: str,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from intakeflow.errors import E, SourceError
    from intakeflow.sources.fhir_client import FhirClient

    def gone(self: FhirClient, bundle: dict[str, Any]) -> dict[str, Any]:
        raise SourceError(E.E034_FHIR_UNREACHABLE, method="POST", resource="Bundle", attempts=4, kind="ConnectError")

    monkeypatch.setattr(FhirClient, "transaction", gone)
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    assert _run(capsys, "stage", "hl7", str(_hl7_folder(tmp_path / "in")), *store, "--quiet")[1]["staged"] == 4
    rc, counts, err = _run(capsys, "process", *store, "--write-back", fhir_server)
    # the processing committed, so its counts are printed; the write-back stopped at its first message
    assert (rc, counts) == (1, {"processed": 4, "quarantined": 0, "failed": 0, "delivered": 0})
    assert err.strip().splitlines() == ["E034: FHIR server unreachable for POST Bundle after 4 attempts (ConnectError)"]
    assert _run(capsys, "status", *store, "--json")[1]["processed"] == 4  # still pending write-back


def test_bad_inputs_end_in_records_and_never_stop_the_batch(tmp_path: Path, pg_dsn: str, store_schema: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11's cases through the CLI, between good messages: every input ends staged,
    filtered or quarantined with a code, the good ones are processed, nothing raises."""
    store = ["--dsn", pg_dsn, "--schema", store_schema]
    hl7 = tmp_path / "hl7"
    hl7.mkdir()
    adt = "MSH|^~\\&|ADT|NORTHCLINIC|INTAKE|NORTHCLINIC|20240305143000||ADT^A08|A1|P|2.5.1\rPID|1||MR-1\r"
    (hl7 / "01-good.hl7").write_text(_hl7("G1", TEXTS[0]))
    (hl7 / "02-nul-control-id.hl7").write_text(_hl7("N\x001", TEXTS[1]))  # A: NUL in MSH-10
    (hl7 / "03-nul-pid.hl7").write_text(_hl7("N2", TEXTS[2]).replace("MR-000123", "MR-0\x0000123"))  # A: in PID-3
    (hl7 / "04-escape-bomb.hl7").write_text(_hl7("S1", "line one\\.sp99999999\\line two"))  # B
    (hl7 / "05-unknown-segments.hl7").write_text(_hl7("U1", TEXTS[3]) + "\r".join(
        f"Z{chr(65 + i % 26)}{i % 10}|{i}" for i in range(1_600)) + "\r")  # D
    (hl7 / "06-empty.hl7").write_bytes(b"")  # minor: an empty file leaves a record
    (hl7 / "07-adt-no-text.hl7").write_text(adt)  # expected traffic without text: filtered
    (hl7 / "08-good.hl7").write_text(_hl7("G2", TEXTS[4]))
    started = time.monotonic()
    rc, counts, _ = _run(capsys, "stage", "hl7", str(hl7), *store, "--quiet")
    # the NUL ones are stored with the NUL replaced, the escape bomb capped, the flood in linear time
    assert (rc, counts) == (0, {"staged": 6, "duplicates": 0, "quarantined": 1, "filtered": 1})
    assert time.monotonic() - started < 30
    fhir = tmp_path / "fhir"
    fhir.mkdir()
    shapes = [{"resourceType": "Bundle", "entry": "not a list"}, {"resourceType": "Bundle", "entry": {"resource": 1}},
              {"resourceType": "Bundle", "link": ["x"], "entry": [1, "two", {"resource": "three"}]}]
    for i, shape in enumerate(shapes):
        (fhir / f"shape-{i}.json").write_text(json.dumps(shape))  # C: odd Bundle shapes
    (fhir / "deep.json").write_text("[" * 100_000 + "]" * 100_000)  # C: nesting past any recursion limit
    (fhir / "huge.json").write_text(json.dumps(_comm("h1", "x" * 5_000_000)))  # minor: size limit at the source
    (fhir / "good.json").write_text(json.dumps(_comm("f1", TEXTS[5])))
    rc, counts, _ = _run(capsys, "stage", "fhir", str(fhir), *store, "--quiet")
    assert (rc, counts) == (0, {"staged": 1, "duplicates": 0, "quarantined": 7, "filtered": 0})
    rc, counts, _ = _run(capsys, "process", *store)
    assert (rc, counts) == (0, {"processed": 7, "quarantined": 0, "failed": 0, "delivered": 0})
    rc, report, _ = _run(capsys, "status", *store, "--json")
    assert rc == 0
    assert {k: report[k] for k in ("staged", "processed", "quarantined", "filtered", "failed")} == {
        "staged": 0, "processed": 7, "quarantined": 8, "filtered": 1, "failed": 0}
    # E031 the Bundle shapes and the nesting, E002 the over-long text, E026 the empty file
    assert report["quarantine_by_code"] == {"E002": 1, "E026": 1, "E031": 6}
