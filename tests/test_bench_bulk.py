"""Smoke test of ``python -m tools.bench_bulk``: it runs end to end on a small export
(the peer in its own process), prints its figures and drops its schema. Timings are never
asserted."""

from __future__ import annotations

import json

import psycopg
import pytest

from tools import bench_bulk


def test_small_run_prints_figures_and_drops_its_schema(pg_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(pg_dsn) as conn:
        before = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench_bulk_%'").fetchone()
    assert bench_bulk.main(["--resources", "300", "--file-size", "120", "--dsn", pg_dsn, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["resources"], figures["staged"], figures["files"]) == (300, 300, 3)
    assert figures["download_stage_per_s"] > 0 and figures["export_to_staged_per_s"] > 0 and figures["map_only_per_s"] > 0
    with psycopg.connect(pg_dsn) as conn:
        after = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'bench_bulk_%'").fetchone()
    assert after == before
