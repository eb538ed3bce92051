"""A listener stopped (gracefully, or SIGKILLed as a process) and restarted while senders
keep sending: senders resend what was not ACKed, and every ACKed message ends up in the
database exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mllp_peer import FACILITY, ListenerThread, Peer, message, rows_by_source_id, wait_for

from intakeflow.embedded.fhir_server import free_port
from intakeflow.store import Store

REPO = Path(__file__).parents[2]


class ResendingSender(threading.Thread):
    """Sends its messages in order; a message without an AA (connection refused or cut,
    AR) is sent again on a new connection, as an interface engine does."""

    def __init__(self, name: str, port: int, count: int, deadline: float) -> None:
        super().__init__(name=name)
        self.port, self.count, self.deadline = port, count, deadline
        self.acked: list[str] = []
        self.resends = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        peer: Peer | None = None
        try:
            for i in range(self.count):
                cid = f"{self.name}-{i}"
                while True:
                    if time.monotonic() > self.deadline:
                        raise TimeoutError(f"{cid} never acknowledged")
                    try:
                        peer = peer or Peer(self.port, timeout=10)
                        if peer.send(message(cid, f"note {i} from {self.name}")).code == "AA":
                            self.acked.append(cid)
                            break
                    except OSError:
                        if peer is not None:
                            peer.close()
                        peer = None
                        time.sleep(0.02)
                    self.resends += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            self.error = exc
        finally:
            if peer is not None:
                peer.close()


def test_restart_under_load_keeps_every_acked_message_once(store: Store, pg_dsn: str, store_schema: str) -> None:
    first = ListenerThread(store, grace=10.0).start()
    port = first.port
    senders = [ResendingSender(f"R{n}", port, 100, time.monotonic() + 90) for n in range(4)]
    for s in senders:
        s.start()
    wait_for(lambda: sum(len(s.acked) for s in senders) >= 80, timeout=30)
    first.stop()  # graceful, while all four are sending
    acked_at_stop = sum(len(s.acked) for s in senders)
    time.sleep(0.3)  # senders meet a refused port meanwhile
    second = ListenerThread(store, port=port, grace=10.0).start()
    for s in senders:
        s.join(90)
    second.stop()

    assert [s.error for s in senders] == [None] * 4
    assert acked_at_stop < 400, "the stop did not happen under load"
    assert sum(s.resends for s in senders) >= 1
    assert first.server is not None and first.server.counts["cancelled_at_shutdown"] == 0
    acked = [cid for s in senders for cid in s.acked]
    assert len(acked) == len(set(acked)) == 400
    rows = rows_by_source_id(pg_dsn, store_schema)
    assert rows == {f"{FACILITY}|{cid}": 1 for cid in acked}


def _listener_process(port: int, dsn: str, schema: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "intakeflow.cli", "mllp-listen", "--port", str(port), "--dsn", dsn, "--schema", schema,
           "--pipeline-version", "test-1", "--parse-workers", "0", "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert f"listening on 127.0.0.1:{port}" in line, line
    return proc


@pytest.mark.slow
def test_sigkill_under_load_loses_and_duplicates_nothing(store: Store, pg_dsn: str, store_schema: str) -> None:
    """The listener process is SIGKILLed (no shutdown, no flush) while four senders send;
    a new process on the same port takes over. Every message ACKed before the kill is in
    the store, every message ends up ACKed, and each is stored exactly once."""
    port = free_port()
    first = _listener_process(port, pg_dsn, store_schema)
    second: subprocess.Popen[str] | None = None
    senders = [ResendingSender(f"K{n}", port, 100, time.monotonic() + 120) for n in range(4)]
    try:
        for s in senders:
            s.start()
        wait_for(lambda: sum(len(s.acked) for s in senders) >= 80, timeout=60)
        first.kill()
        first.wait(10)
        acked_before_kill = [cid for s in senders for cid in list(s.acked)]
        stored_at_kill = rows_by_source_id(pg_dsn, store_schema)
        time.sleep(0.3)  # senders meet a refused port meanwhile
        second = _listener_process(port, pg_dsn, store_schema)
        for s in senders:
            s.join(120)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)

    assert [s.error for s in senders] == [None] * 4
    assert len(acked_before_kill) < 400, "the kill did not happen under load"
    assert all(stored_at_kill.get(f"{FACILITY}|{cid}") == 1 for cid in acked_before_kill)  # an AA means stored
    acked = [cid for s in senders for cid in s.acked]
    assert len(acked) == len(set(acked)) == 400
    rows = rows_by_source_id(pg_dsn, store_schema)
    assert rows == {f"{FACILITY}|{cid}": 1 for cid in acked}  # 0 lost, 0 duplicated
