"""``intakeflow reprocess`` against the real PostgreSQL: counts on stdout, codes on stderr."""

from __future__ import annotations

import json

import pytest

from intakeflow.cli import main
from intakeflow.results import InboundMessage, PipelineResult
from intakeflow.store import Store

TEXT = "synthetic reprocess note"


def _store(dsn: str, schema: str, *, store_raw: bool) -> tuple[Store, list[int]]:
    """Three messages of run r1 under v1: one processed, two quarantined (input error)."""
    store = Store(dsn, schema=schema, pipeline_version="v1", store_raw=store_raw)
    store.migrate()
    store.stage([InboundMessage("fhir", f"c-{i}", f"{TEXT} {i}") for i in range(3)], "r1")
    batch = store.claim(10, "t")
    results = [PipelineResult(id=str(m.id), intent="other", redacted_text="x", pipeline_version="v1") if i == 0
               else PipelineResult(id=str(m.id), error_code="E001", error="E001: x") for i, m in enumerate(batch)]
    store.save_results(zip(batch, results, strict=True))
    return store, [m.id for m in batch]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    rc = main(["reprocess", *argv])
    out = capsys.readouterr()
    assert TEXT not in out.out + out.err
    return rc, (json.loads(out.out) if out.out.strip() else {}), out.err


def test_reprocess_by_ids_run_and_period(pg_dsn: str, store_schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    store, ids = _store(pg_dsn, store_schema, store_raw=True)
    base = ["--dsn", pg_dsn, "--schema", store_schema]
    rc, counts, err = _run(capsys, *base, "--ids", str(ids[1]), "999999")
    assert (rc, counts["requeued"], counts["not_requeueable"]) == (0, 1, {"E092": 1})
    assert err.startswith("E092: 1 message ids")
    rc, counts, _ = _run(capsys, *base, "--run-id", "r1")
    assert (rc, counts["requeued"], counts["not_eligible"]) == (0, 1, 2)
    rc, counts, _ = _run(capsys, *base, "--since", "2000-01-01", "--until", "2999-01-01", "--period-field", "staged",
                         "--version", "v1")
    assert (rc, counts["selected"], counts["requeued"]) == (0, 3, 0)  # nothing left quarantined
    assert store.counts()["received"] == 2


def test_reprocess_new_version_and_missing_text(pg_dsn: str, store_schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    _store(pg_dsn, store_schema, store_raw=False)
    base = ["--dsn", pg_dsn, "--schema", store_schema, "--run-id", "r1"]
    rc, counts, err = _run(capsys, *base, "--new-version", "v2")
    assert (rc, counts["staged"], counts["not_requeueable"]) == (0, 0, {"E090": 3})
    assert "E090: 3 messages cannot be reprocessed" in err
    _, counts, _ = _run(capsys, *base)
    assert (counts["requeued"], counts["not_requeueable"]) == (0, {"E090": 2})


def test_reprocess_new_version_stages_copies(pg_dsn: str, store_schema: str, capsys: pytest.CaptureFixture[str]) -> None:
    _store(pg_dsn, store_schema, store_raw=True)
    base = ["--dsn", pg_dsn, "--schema", store_schema, "--run-id", "r1", "--new-version", "v2"]
    assert _run(capsys, *base)[1]["staged"] == 3
    assert _run(capsys, *base)[1]["already_staged"] == 3
    assert Store(pg_dsn, schema=store_schema, pipeline_version="v2").counts()["received"] == 3


@pytest.mark.parametrize("argv", [
    ["--since", "2024-03-05"],  # no --until
    ["--since", "2024-03-06", "--until", "2024-03-05"],
    ["--ids", "1", "--version", "v1"],
])
def test_bad_selection_exits_2_with_code(pg_dsn: str, store_schema: str, capsys: pytest.CaptureFixture[str],
                                         argv: list[str]) -> None:
    rc, counts, err = _run(capsys, "--dsn", pg_dsn, "--schema", store_schema, *argv)
    assert (rc, counts) == (2, {}) and err.startswith("E093")


@pytest.mark.parametrize("argv", [["--ids", "1", "--run-id", "r"], ["--since", "not-a-time"], []])
def test_argument_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["reprocess", "--dsn", "postgresql://unused", *argv])
    assert info.value.code == 2
