"""``intakeflow mllp-listen`` as a process: python-hl7's ``mllp_send`` sends, SIGTERM stops."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from mllp_peer import FACILITY, message, rows_by_source_id, split_acks
from psycopg import sql

from intakeflow.cli import build_parser, main
from intakeflow.mllp.framing import frame

REPO = Path(__file__).parents[2]


def test_listen_process_stores_then_stops_on_sigterm(tmp_path: Path, pg_dsn: str, store_schema: str) -> None:
    cmd = [sys.executable, "-m", "intakeflow.cli", "mllp-listen", "--port", "0", "--dsn", pg_dsn, "--schema", store_schema,
           "--source", "mllp:ward", "--pipeline-version", "cli-test@1", "--parse-workers", "0", "--log-level", "WARNING",
           "--heartbeat-s", "0.5"]
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": path}, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        found = re.search(r"listening on 127\.0\.0\.1:(\d+) \(source mllp:ward, pipeline version cli-test@1\)", line)
        assert found, line
        feed = tmp_path / "feed.hl7"
        feed.write_bytes(b"".join(frame(message(f"CLI-{i}").encode()) for i in range(3)))
        sent = subprocess.run([str(Path(sys.executable).parent / "mllp_send"), "-p", found.group(1), "-f", str(feed),
                               "127.0.0.1"], capture_output=True, timeout=60, check=True)
        assert [(a.code, a.ack_of) for a in split_acks(sent.stdout)] == [("AA", f"CLI-{i}") for i in range(3)]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert rows_by_source_id(pg_dsn, store_schema, "mllp:ward") == {f"{FACILITY}|CLI-{i}": 1 for i in range(3)}
    # its heartbeat (the watchdog's listener checks): alive while it ran, input taken, stopped cleanly
    with psycopg.connect(pg_dsn) as conn:
        beat = conn.execute(sql.SQL("SELECT instance, stopped_at IS NOT NULL, last_input_at IS NOT NULL, counts->>'staged' "
                                    "FROM {}.listener_heartbeats WHERE source = 'mllp:ward'").format(
            sql.Identifier(store_schema))).fetchall()
    assert len(beat) == 1 and beat[0][0].endswith(f":{found.group(1)}") and beat[0][1:] == (True, True, "3")


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["--source", "hl7v2"], "--source must be"),
        (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        (["--max-bytes", "0"], "--max-bytes must be positive"),
        (["--max-batch", "0"], "--max-batch must be positive"),
        (["--max-wait-ms", "-1"], "--max-wait-ms must be between 0 and 1000"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], problem: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mllp-listen", "--dsn", "postgresql://127.0.0.1:1/x", *argv]) == 2
    assert problem in capsys.readouterr().err


def test_dsn_is_required(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("INTAKEFLOW_POSTGRES_DSN", raising=False)
    assert main(["mllp-listen"]) == 2
    assert "--dsn" in capsys.readouterr().err


def test_parser_defaults_match_the_compose_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKEFLOW_POSTGRES_DSN", "postgresql://db/x")
    args = build_parser().parse_args(["mllp-listen", "--host", "0.0.0.0", "--port", "2575"])
    assert (args.host, args.port, args.dsn) == ("0.0.0.0", 2575, "postgresql://db/x")
    assert (args.schema, args.source) == ("intakeflow", "mllp")
    assert args.max_bytes == 1024 * 1024 and args.idle_timeout == 300.0


def _children(pid: int) -> set[int]:
    kids = set()
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # field 4 of stat: the parent pid
            kids.add(int(status.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_parse_workers_die_with_a_killed_listener(pg_dsn: str, store_schema: str) -> None:
    cmd = [sys.executable, "-m", "intakeflow.cli", "mllp-listen", "--port", "0", "--dsn", pg_dsn, "--schema", store_schema,
           "--pipeline-version", "cli-test@1", "--parse-workers", "2", "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        assert "listening on" in proc.stderr.readline()
        workers = _children(proc.pid)
        assert len(workers) >= 2  # the two parse workers (and spawn's resource tracker)
        proc.kill()  # SIGKILL: no shutdown of the pool
        proc.wait(10)
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(w) for w in workers)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
