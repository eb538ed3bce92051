"""PHI leak scan: both example DAGs run (``dag.test``, the real model) over gold-labelled
messages of the corpus, plus inputs that fail on purpose (truncated HL7 files, a text over
the size limit) so error paths run too. Everything the run leaves that is meant to be free
of PHI is collected (Airflow task logs, every logging record at DEBUG, stdout and stderr,
XCom values, metrics sent, the store's tables other than the text columns, the monitoring
pages' HTML, exception texts) and searched for every gold PHI string: 0 hits.
Failures name the artefact and the PHI label, never the string."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _pytest.logging import LogCaptureHandler
from airflow.sdk._shared.observability.metrics.base_stats_logger import NoStatsLogger
from airflow.sdk.observability import stats
from psycopg import sql

from intakeflow.errors import IntakeflowError
from tools import demo
from tools.demo_data import DemoText

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "models" / "corpus" / "data" / "w02.jsonl"
HL7_COUNT = 30
FHIR_COUNT = 8

#: Gold strings shorter than this are not searched: two- and three-character spans ("Al",
#: "Jo", "2/3", "Ed") occur inside ids, timestamps, codes and ordinary words of any log,
#: so a hit would say nothing about a leak.
MIN_LEN = 4
#: Gold PHI strings made only of these words are not searched: relative dates, weekdays and
#: months are PHI in a message ("since Monday") but also appear in any log or page on their
#: own (timestamps, labels, the dashboard's period), without any link to a patient.
COMMON_WORDS = frozenset(
    "today tomorrow yesterday tonight morning afternoon evening night week weekend month year next last this "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december home work the of and".split()
)

# columns that hold message text or extracted values by design (raw text is kept only with
# store_raw; redacted text is the model's output, whose recall is measured by `intakeflow
# eval`, not here; insurance fields are the extracted member ids and carriers)
TEXT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "messages": ("raw_text", "redacted_text"),
    "insurance_fields": ("normalised", "spans"),
}


@dataclass(frozen=True)
class Gold:
    text: str
    label: str


def gold_messages() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    with_phi = [r for r in rows if any(len(p["text"]) >= MIN_LEN for p in r["phi"])]
    return random.Random(11).sample(with_phi, HL7_COUNT + FHIR_COUNT)


def searchable(spans: list[dict[str, Any]]) -> list[Gold]:
    out = {}
    for p in spans:
        text = p["text"].strip()
        words = re.findall(r"\w+", text.lower())
        if len(text) < MIN_LEN or not words or all(w in COMMON_WORDS for w in words):
            continue
        out[text.lower()] = Gold(text, p["label"])
    return list(out.values())


def scan(artefacts: Mapping[str, str], gold: list[Gold]) -> Counter[tuple[str, str]]:
    """(artefact, PHI label) -> hits; a match must not sit inside a longer word or number."""
    hits: Counter[tuple[str, str]] = Counter()
    patterns = [(g, re.compile(rf"(?<![^\W_]){re.escape(g.text)}(?![^\W_])", re.IGNORECASE)) for g in gold]
    for name, body in artefacts.items():
        for g, pattern in patterns:
            n = len(pattern.findall(body))
            if n:
                hits[(name, g.label)] += n
    return hits


class RecordingStats(NoStatsLogger):
    """Keeps every metric name, tag and value the operators send."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def incr(self, stat: str, count: int = 1, rate: int = 1, *, tags: dict[str, str] | None = None) -> None:  # type: ignore[override]
        self.sent.append(f"{stat} {count} {tags}")

    def gauge(self, stat: str, value: Any, rate: int = 1, delta: bool = False, *,  # type: ignore[override]
              tags: dict[str, str] | None = None) -> None:
        self.sent.append(f"{stat} {value} {tags}")

    def timing(self, stat: str, dt: Any, *, tags: dict[str, str] | None = None) -> None:  # type: ignore[override]
        self.sent.append(f"{stat} {dt} {tags}")


@pytest.fixture
def recorder() -> Iterator[RecordingStats]:
    rec = RecordingStats()
    stats.initialize(factory=lambda: rec, export_legacy_names=False)
    try:
        yield rec
    finally:
        stats.initialize(factory=NoStatsLogger, export_legacy_names=True)


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """Every logging record at DEBUG, with tracebacks, from every logger."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@contextmanager
def _without_pytest_log_capture() -> Iterator[None]:
    """pytest prints the records it captured when a test fails; at DEBUG they could hold
    PHI if something leaked, so its handlers step aside while the DAGs run (ours stays)."""
    root = logging.getLogger()
    theirs = [h for h in root.handlers if isinstance(h, LogCaptureHandler)]
    for h in theirs:
        root.removeHandler(h)
    try:
        yield
    finally:
        for h in theirs:
            root.addHandler(h)


def _store_rows(dsn: str, schema: str) -> dict[str, str]:
    out = {}
    with psycopg.connect(dsn) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)).fetchall()]
        for table in tables:
            drop = sql.SQL("").join(sql.SQL(" - {}").format(sql.Literal(c)) for c in TEXT_COLUMNS.get(table, ()))
            query = sql.SQL("SELECT coalesce(string_agg((to_jsonb(t){})::text, E'\\n'), '') FROM {}.{} t").format(
                drop, sql.Identifier(schema), sql.Identifier(table))
            row = conn.execute(query).fetchone()
            out[f"store:{table}"] = str(row[0]) if row else ""
    return out


def _xcom_values() -> str:
    from airflow import settings
    from sqlalchemy import text

    assert settings.engine is not None
    with settings.engine.connect() as conn:
        return "\n".join(str(r[0]) for r in conn.execute(text("SELECT value FROM xcom")))


def _monitoring_pages(dsn: str, schema: str, runs: int) -> dict[str, str]:
    from fastapi.testclient import TestClient

    from intakeflow.plugins.monitoring.app import create_app

    client = TestClient(create_app(lambda: dsn, [schema]))
    pages = {}
    for dag_id in ("hl7_archive_intake", "fhir_communication_intake"):
        for path in ("/", "/api/dashboard"):
            resp = client.get(path, params={"dag_id": dag_id, "hours": 24 * 30, "schema": schema})
            assert resp.status_code == 200, resp.status_code
            pages[f"monitoring:{path}:{dag_id}"] = resp.text
    with psycopg.connect(dsn) as conn:
        pairs = conn.execute(sql.SQL("SELECT DISTINCT dag_id, run_id FROM {}.run_stats").format(
            sql.Identifier(schema))).fetchall()
    assert len(pairs) == runs
    for dag_id, run_id in pairs:
        for path in ("/run", "/api/run"):
            resp = client.get(path, params={"dag_id": dag_id, "run_id": run_id, "schema": schema})
            assert resp.status_code == 200, resp.status_code
            pages[f"monitoring:{path}:{run_id}"] = resp.text
    return pages


def _exception_texts(texts: list[str]) -> str:
    """What error paths say about inputs that carry PHI: quarantine reasons and meta of
    malformed HL7, the error of a text over the size limit, and the texts of exceptions
    (FHIR validation of a resource holding the text in a wrong place)."""
    from intakeflow.pipeline import Pipeline
    from intakeflow.results import PipelineInput, Quarantined
    from intakeflow.sources.hl7_parse import parse_hl7
    from intakeflow.writeback import resources as fr

    out = []
    for i, t in enumerate(texts):
        for bad in (f"PID|1||{t}\rOBX|1|TX|||{t}", f"MSH|^~\\&|X\rOBX|1|TX|||{t}", f"MSH|^~\\&|{t}|\x00|\r"):
            item = parse_hl7(bad, f"bad.hl7#{i}")
            if isinstance(item, Quarantined):
                out.append(f"{item.reason_code} {item.reason} {item.meta}")
        try:
            fr.validated({"resourceType": "Communication", "status": "completed", "sent": t, "payload": [{"contentString": t}]})
        except IntakeflowError as exc:
            out.append(f"{type(exc).__name__}: {exc}")
    results = Pipeline().process([PipelineInput(id="long", text=(texts[0] + " ") * 30_000)])
    out.append(str(results[0].error))
    return "\n".join(out)


def _add_truncated_files(archive_root: Path, texts: list[str]) -> int:
    """HL7 files cut off mid-message (an MLLP frame without its end block), with gold text
    in them: quarantined at the source (E024), their reason and meta land in the store."""
    day = sorted(archive_root.rglob("*.hl7"))[0].parent
    for i, t in enumerate(texts):
        msh = f"MSH|^~\\&|DEMO|DEMOFAC|IF|HOSP|20240501120000||ORU^R01|TRUNC-{i}|P|2.5.1\r"
        body = msh + f"PID|1||X|||{t}\rOBX|1|TX|||{t}"
        (day / f"zz-truncated-{i}.hl7").write_bytes(b"\x0b" + body.encode("utf-8"))
    return len(texts)


def test_no_gold_phi_string_in_any_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_dsn: str, fhir_server: str, store_schema: str,
    recorder: RecordingStats, debug_log: io.StringIO, capfd: pytest.CaptureFixture[str],
) -> None:
    for key in demo.airflow_env(tmp_path, pg_dsn, fhir_server):
        monkeypatch.setenv(key, os.environ.get(key, ""))
    rows = gold_messages()
    hl7 = [DemoText(r["id"], r["text"], r.get("channel")) for r in rows[:HL7_COUNT]]
    fhir = [DemoText(r["id"], r["text"], "portal") for r in rows[HL7_COUNT:]]
    gold = searchable([p for r in rows for p in r["phi"]])
    assert len(gold) >= 40

    real_write = demo.write_hl7_archive

    def write_with_truncated(root: Path, *args: Any, **kwargs: Any) -> Any:
        summary = real_write(root, *args, **kwargs)
        _add_truncated_files(root, [r["text"] for r in rows[:3]])
        return summary

    monkeypatch.setattr(demo, "write_hl7_archive", write_with_truncated)
    logs = tmp_path / "logs"
    try:
        with demo.DemoLogs(logs) as demo_logs, _without_pytest_log_capture():
            reports, _, status = demo.run_demo(tmp_path, pg_dsn, fhir_server, store_schema, hl7, fhir, 3, None,
                                               demo_logs)
    finally:
        captured = capfd.readouterr()  # consumed here: pytest must never print it (it may hold PHI)
    assert reports and all(r.state == "success" for r in reports), [(r.dag_id, r.state) for r in reports]
    assert status["processed"] + status["delivered"] >= HL7_COUNT, "not every gold message was processed"
    assert status["quarantine_by_code"].get("E024", 0) >= 3, status["quarantine_by_code"]  # the truncated files

    artefacts: dict[str, str] = {
        **{f"log:{p.name}": p.read_text("utf-8", errors="replace") for p in logs.rglob("*") if p.is_file()},
        "logging:debug": debug_log.getvalue(),
        "stdout": captured.out,
        "stderr": captured.err,
        "xcom": _xcom_values(),
        "metrics": "\n".join(recorder.sent),
        "run_reports": json.dumps([r.__dict__ for r in reports], default=str),
        **_store_rows(pg_dsn, store_schema),
        **_monitoring_pages(pg_dsn, store_schema, len(reports)),
        "exceptions": _exception_texts([r["text"] for r in rows[:5]]),
    }
    late = capfd.readouterr()  # what the scans above printed (the monitoring app's request log)
    artefacts["stdout:late"], artefacts["stderr:late"] = late.out, late.err
    # the artefacts are real: the run logged, sent metrics, pushed XCom and rendered pages
    # (conditions computed first: pytest's assertion rewriting would print the artefacts)
    sizes = {name: len(body) for name, body in artefacts.items()}
    real = {
        "task log": sizes["log:airflow.log"] > 1000 and "process" in artefacts["log:airflow.log"],
        "debug log": sizes["logging:debug"] > 1000,
        "metrics": bool(recorder.sent),
        "xcom": sizes["xcom"] > 0,
        "quarantine": "E024" in artefacts["store:quarantine"],
        "exceptions": artefacts["exceptions"].count("E0") >= 10 and "SinkError: E031" in artefacts["exceptions"],
        "pages": all(sizes[k] > 0 for k in sizes if k.startswith("monitoring:")),
    }
    assert all(real.values()), f"artefacts missing: {[k for k, ok in real.items() if not ok]}; sizes {sizes}"

    # positive control: the same scan finds the gold strings in the run's own inputs
    # keyed by the path under the archive: every day folder holds the same file names
    archive = tmp_path / "archive"
    inputs = scan({f"input:{p.relative_to(archive)}": p.read_text("utf-8") for p in archive.rglob("*.hl7")}, gold)
    assert sum(inputs.values()) >= len(gold) // 2, "the gold strings are not those of the inputs"

    hits = scan(artefacts, gold)
    assert not hits, f"gold PHI found (artefact, label -> hits): {dict(hits)}"
    print(f"\nPHI leak scan: {len(gold)} gold strings, {len(artefacts)} artefacts, "
          f"{sum(len(v) for v in artefacts.values())} characters, 0 hits")

    # the scanner finds a planted string: one gold string put into a copy of a real artefact
    planted = gold[len(gold) // 2]
    found = scan({"planted": artefacts["log:airflow.log"] + f" note={planted.text} "}, gold)
    assert found[("planted", planted.label)] >= 1 and {name for name, _ in found} == {"planted"}, "planted: missed"
    found = scan({"planted": f"x{planted.text.upper()}x {planted.text.lower()}"}, gold)
    assert found[("planted", planted.label)] >= 1, "the scanner missed a planted string in another case"
    assert scan({"clean": "E022 processed 12 messages at 2024-05-01T10:15:00"}, gold) == Counter()
