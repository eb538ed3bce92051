"""``intakeflow stage fhir-bulk`` against the local peer: a run SIGKILLed mid-download (a
real process, killed while a file is half staged), then a re-run, stage 10,000
Communications exactly once; ``--check`` reports the granted scopes; ``--print-jwks``
prints what to register; missing settings are usage errors; a refused client exits 1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from intakeflow.cli import main
from intakeflow.fhir_auth import public_jwks
from intakeflow.sources.fhir_bulk import ExportRequest
from intakeflow.store import Store
from intakeflow.store.pg_bulk import BulkExportLog
from tests.fhir_peer import CLIENT_ID, KID, PeerConfig, PeerServer, communications, rsa_key_pem

TOTAL = 10_000


def cli_args(server: PeerServer, key_file: Path, dsn: str, schema: str, model: str, *extra: str) -> list[str]:
    return ["stage", "fhir-bulk", server.base_url, "--auth", "smart_backend", "--client-id", CLIENT_ID, "--kid", KID,
            "--private-key", str(key_file), "--dsn", dsn, "--schema", schema, "--model", model, "--quiet", *extra]


def row_count(store: Store) -> tuple[int, int]:
    with store.connect() as conn:
        row = conn.execute(sql.SQL("SELECT count(*) AS n, count(DISTINCT source_id) AS d FROM {}.messages").format(
            sql.Identifier(store.schema))).fetchone()
    assert row is not None
    return int(row["n"]), int(row["d"])


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "intakeflow-key.pem"
    path.write_text(rsa_key_pem())
    path.chmod(0o600)
    return path


STALLS = PeerConfig(file_size=2_500, error_lines=2, stall_file="-2.", stall_after_bytes=1_500 * 270)


@pytest.mark.parametrize("peer_config", [STALLS])
def test_sigkill_mid_download_then_rerun_stages_each_once(
    peer: PeerServer, key_file: Path, pg_dsn: str, store_schema: str, fake_model: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    peer.peer.add(communications(TOTAL))
    args = cli_args(peer, key_file, pg_dsn, store_schema, fake_model)
    store = Store(pg_dsn, schema=store_schema, pipeline_version="fake-model@1")
    exports = BulkExportLog(store)
    proc = subprocess.Popen([sys.executable, "-m", "intakeflow.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "exited"
            assert time.monotonic() < deadline, "the download never got under way"
            job = exports.open_job("fhir", ExportRequest().key) if _has_table(store) else None
            files = job.files.values() if job else []
            staged = sum(int(p["lines"]) for p in files)
            if staged >= 3_500 and any(0 < int(p["lines"]) and not p["done"] for p in files):
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    partial, _ = row_count(store)
    assert partial == 3_500, "file 1 and the first batch of file 2"

    peer.peer.release.set()  # the stall only served to kill mid-file
    assert main(args) == 0
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    rows, distinct = row_count(store)
    assert rows == distinct == TOTAL, "every Communication once"
    assert partial + counts["staged"] == TOTAL, "staged (counted new) exactly once across the killed run and the re-run"
    assert counts["duplicates"] == 0, "the killed run's last batch was checkpointed before the kill"
    assert counts["resumed_files"] == 1 and counts["outcome_lines"] == 2 and counts["deleted"]
    assert len(peer.peer.kickoffs) == 1 and len(peer.peer.deleted_jobs) == 1
    assert any(status == 206 for _, start, status in peer.peer.downloads if start > 0), "resumed by HTTP Range"

    # an incremental run straight after: nothing new since the watermark
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["staged"] == 0 and again["lines"] == again["outcome_lines"] == 2  # the peer's error lines only
    assert again["since"] == counts["transaction_time"]


def _has_table(store: Store) -> bool:
    with store.connect() as conn:
        row = conn.execute("SELECT to_regclass(%s) AS t", [f'"{store.schema}".bulk_exports']).fetchone()
    return bool(row and row["t"])


def test_check_reports_the_server_and_the_granted_scopes(
    peer: PeerServer, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["stage", "fhir-bulk", peer.base_url, "--check", "--auth", "smart_backend", "--client-id", CLIENT_ID,
            "--kid", KID, "--private-key", str(key_file), "--scope", "system/Communication.rs system/Observation.rs"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"fhir_version": "4.0.1", "communication": True, "bulk_export": True,
                      "smart_token_endpoint": peer.peer.token_url, "granted_scopes": ["system/Communication.rs"],
                      "not_granted": ["system/Observation.rs"]}


def test_print_jwks_prints_the_public_key_only(key_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stage", "fhir-bulk", "https://ehr.example/r4", "--print-jwks", "--private-key", str(key_file),
                 "--kid", "k9"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == public_jwks(rsa_key_pem(), "RS384", kid="k9")
    assert set(printed["keys"][0]) == {"kty", "n", "e", "alg", "use", "key_ops", "kid"}  # no private member (d, p, q...)


@pytest.mark.parametrize(("extra", "why"), [
    (["--auth", "smart_backend", "--client-id", "x"], "private key"),
    (["--auth", "smart_backend", "--private-key", "/nonexistent.pem", "--client-id", "x"], "could not be read"),
    (["--auth", "client_credentials", "--client-id", "x"], "client secret"),
    (["--auth", "bearer"], "INTAKEFLOW_FHIR_TOKEN"),
    (["--level", "group"], "group id"),
])
def test_usage_errors_exit_2(extra: list[str], why: str, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTAKEFLOW_FHIR_PRIVATE_KEY", "INTAKEFLOW_FHIR_CLIENT_SECRET", "INTAKEFLOW_FHIR_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["stage", "fhir-bulk", "https://ehr.example/r4", "--dsn", "postgresql://x@127.0.0.1:1/x", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("intakeflow stage fhir-bulk: E050") and why in err


def test_refused_client_exits_1_with_a_coded_line(
    peer: PeerServer, tmp_path: Path, pg_dsn: str, store_schema: str, fake_model: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTAKEFLOW_FHIR_PRIVATE_KEY", rsa_key_pem(seed=42))  # not the registered key
    args = ["stage", "fhir-bulk", peer.base_url, "--auth", "smart_backend", "--client-id", CLIENT_ID, "--kid", KID,
            "--dsn", pg_dsn, "--schema", store_schema, "--model", fake_model, "--quiet"]
    assert main(args) == 1
    out = capsys.readouterr()
    assert out.out == "" and out.err.startswith("E037") and "invalid_client" in out.err
    assert "PRIVATE KEY" not in out.err


def test_the_peer_registered_key_is_the_test_key(peer: PeerServer) -> None:
    client: Any = peer.peer.clients[CLIENT_ID]
    assert client.jwks == public_jwks(rsa_key_pem(), "RS384", kid=KID)
