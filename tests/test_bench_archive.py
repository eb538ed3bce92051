"""Smoke test of ``python -m tools.bench_archive``: it runs end to end on a tiny
archive, prints its rate lines and cleans up. Timings are never asserted."""

from __future__ import annotations

import re

import psycopg
import pytest

from tools import bench_archive


def test_small_run_prints_rates_and_drops_its_schema(
    pg_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("INTAKEFLOW_FHIR_URL", raising=False)  # exercise the embedded server's start and stop
    assert bench_archive.main(["--messages", "60", "--writeback", "5", "--dsn", pg_dsn]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^end-to-end rate: [\d.]+ messages/s", out, re.M)
    assert re.search(r"^write-back rate: [\d.]+ resources/s, [\d.]+ messages/s", out, re.M)
    # every archive message is accounted for: parsed and staged, or quarantined at the source
    counts = re.search(r"parsed (\d+), quarantined at source (\d+)", out)
    assert counts and int(counts[1]) + int(counts[2]) == 60
    assert "delivered 5" in out
    schema = re.search(r"schema (bench_\w+)", out)
    assert schema
    with psycopg.connect(pg_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (schema[1],)).fetchone()
    assert row == (0,)


@pytest.mark.parametrize(
    "argv",
    [["--messages", "0"], ["--batch-size", "0"], ["--writeback", "-1"], ["--messages", "ten"]],
)
def test_bad_arguments_are_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        bench_archive.parse_args(argv)
    assert exc.value.code == 2


def test_defaults_match_the_documented_benchmark() -> None:
    args = bench_archive.parse_args([])
    assert (args.messages, args.writeback, args.dsn, args.fhir_url) == (10_000, 300, None, None)
