"""The listener against the real PostgreSQL: what is ACKed is stored, what is not is not."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from mllp_peer import (
    EB,
    FACILITY,
    SB,
    FlakyStore,
    ListenerThread,
    Peer,
    message,
    quarantine_codes,
    raw_exchange,
    rows_by_source_id,
    split_acks,
    wait_for,
)
from psycopg import sql

from intakeflow.mllp.framing import frame
from intakeflow.store import Store


def key(control_id: str) -> str:
    return f"{FACILITY}|{control_id}"


def test_concurrent_connections_1000_messages(store: Store, pg_dsn: str, store_schema: str) -> None:
    clients, per_client = 8, 125
    listener = ListenerThread(store, parse_workers=2).start()
    acks: dict[str, tuple[str, str, str]] = {}
    failures: list[BaseException] = []

    def send_all(c: int) -> None:
        try:
            with Peer(listener.port) as peer:
                for i in range(per_client):
                    cid = f"K{c}-{i}"
                    ack = peer.send(message(cid, f"please call me back about visit {i}"))
                    acks[cid] = (ack.code, ack.ack_of, ack.msh9)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            failures.append(exc)

    threads = [threading.Thread(target=send_all, args=(c,)) for c in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    elapsed = time.monotonic() - started
    listener.stop()
    assert not failures
    assert len(acks) == clients * per_client
    assert all(v == ("AA", cid, "ACK^R01^ACK") for cid, v in acks.items())
    rows = rows_by_source_id(pg_dsn, store_schema)
    assert rows == {key(cid): 1 for cid in acks}
    assert elapsed < 45, f"1000 messages took {elapsed:.1f}s"


def test_mllp_send_console_script_as_peer(listener: ListenerThread, tmp_path: Path, pg_dsn: str, store_schema: str) -> None:
    msgs = [message("S1"), message("S2", "second note"), message("S1", "resent with other text"), message("S3", None)]
    feed = tmp_path / "feed.hl7"
    feed.write_bytes(b"".join(frame(m.encode()) for m in msgs))
    script = Path(sys.executable).parent / "mllp_send"
    done = subprocess.run([str(script), "-p", str(listener.port), "-f", str(feed), "127.0.0.1"],
                          capture_output=True, timeout=60, check=True)
    acks = split_acks(done.stdout)
    assert [(a.code, a.ack_of) for a in acks] == [("AA", "S1"), ("AA", "S2"), ("AA", "S1"), ("AE", "S3")]
    assert acks[3].err5 == "E022"
    assert rows_by_source_id(pg_dsn, store_schema) == {key("S1"): 1, key("S2"): 1}
    assert quarantine_codes(pg_dsn, store_schema) == {key("S3"): "E022"}


def test_duplicate_control_ids_are_stored_once(listener: ListenerThread, pg_dsn: str, store_schema: str) -> None:
    with Peer(listener.port) as a, Peer(listener.port) as b:
        answers = [a.send(message("DUP-1", "first text")), b.send(message("DUP-1", "second text")),
                   a.send(message("DUP-1", "first text")), b.send(message("OTHER-1"))]
    assert [x.code for x in answers] == ["AA"] * 4
    assert rows_by_source_id(pg_dsn, store_schema) == {key("DUP-1"): 1, key("OTHER-1"): 1}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (message("Q-1", None), "E022"),  # no OBX text
        ("MSH|^~\\&|SENDAPP|TESTLAB|RECVAPP|RECVFAC|20240301||ORU^R01|Q-1|P", "E024"),  # MSH ends before MSH-12
    ],
)
def test_quarantined_messages_are_stored_there_and_answered_ae(
    listener: ListenerThread, pg_dsn: str, store_schema: str, text: str, code: str
) -> None:
    with Peer(listener.port) as peer:
        ack = peer.send(text)
    assert (ack.code, ack.ack_of, ack.err5) == ("AE", "Q-1", code)
    assert "please" not in ack.raw.decode()
    assert quarantine_codes(pg_dsn, store_schema) == {key("Q-1"): code}
    assert rows_by_source_id(pg_dsn, store_schema) == {}


GOOD = message("AFTER-1").encode()


@pytest.mark.parametrize(
    ("data", "answers"),
    [
        (message("M-1").encode() + EB + b"\r" + frame(GOOD), [("AE", "M-1"), ("AA", "AFTER-1")]),  # no SB
        (SB + message("M-1").encode() + EB + frame(GOOD), [("AE", "M-1"), ("AA", "AFTER-1")]),  # EB without CR
        (SB + message("M-1").encode()[:90] + frame(GOOD), [("AE", "M-1"), ("AA", "AFTER-1")]),  # SB inside a frame
    ],
)
def test_malformed_frame_with_msh_is_rejected_and_the_connection_goes_on(
    listener: ListenerThread, pg_dsn: str, store_schema: str, data: bytes, answers: list[tuple[str, str]]
) -> None:
    acks, _ = raw_exchange(listener.port, data, want_acks=len(answers))
    assert [(a.code, a.ack_of) for a in acks] == answers
    assert acks[0].err5 == "E111"
    assert rows_by_source_id(pg_dsn, store_schema) == {key("AFTER-1"): 1}


@pytest.mark.parametrize("data", [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", frame(b"not hl7 at all"), frame(b"")])
def test_frame_without_msh_closes_the_connection(listener: ListenerThread, pg_dsn: str, store_schema: str,
                                                 data: bytes) -> None:
    acks, closed = raw_exchange(listener.port, data + frame(GOOD), want_acks=1)
    assert acks == [] and closed
    assert rows_by_source_id(pg_dsn, store_schema) == {}
    assert quarantine_codes(pg_dsn, store_schema) == {}


def test_oversize_message_is_rejected(store: Store, pg_dsn: str, store_schema: str) -> None:
    with ListenerThread(store, max_bytes=2_000) as small, Peer(small.port) as peer:
        too_big = peer.send(message("BIG-1", "x" * 5_000))
        huge = peer.send(message("BIG-2", "y" * 3_000_000))
        fits = peer.send(message("FITS-1", "short"))
    assert (too_big.code, too_big.ack_of, too_big.err5) == ("AE", "BIG-1", "E110")
    assert (huge.code, huge.ack_of, huge.err5) == ("AE", "BIG-2", "E110")
    assert (fits.code, fits.ack_of) == ("AA", "FITS-1")
    assert rows_by_source_id(pg_dsn, store_schema) == {key("FITS-1"): 1}


def test_sender_disconnecting_mid_frame_leaves_nothing(listener: ListenerThread, pg_dsn: str, store_schema: str) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
        sock.sendall(SB + message("HALF-1").encode()[:70])
    with Peer(listener.port) as peer:
        assert peer.send(message("WHOLE-1")).code == "AA"
    listener.stop()
    assert rows_by_source_id(pg_dsn, store_schema) == {key("WHOLE-1"): 1}
    assert listener.server is not None and listener.server.counts["truncated_frames"] == 1


def test_idle_connection_is_closed(store: Store) -> None:
    with ListenerThread(store, idle_timeout=0.3) as quick:
        with Peer(quick.port) as active:  # a connection that keeps talking stays open
            for i in range(4):
                time.sleep(0.15)
                assert active.send(message(f"IDLE-{i}")).code == "AA"
        with socket.create_connection(("127.0.0.1", quick.port), timeout=5) as idle:
            started = time.monotonic()
            assert idle.recv(1) == b""
            assert 0.2 < time.monotonic() - started < 3


@pytest.mark.parametrize("down", [False, True])
def test_store_failure_is_answered_ar_and_isolated(store: Store, pg_dsn: str, store_schema: str, down: bool) -> None:
    flaky = FlakyStore(store, psycopg.OperationalError("connection refused") if down else None)
    results: dict[str, str] = {}

    def send(cid: str) -> None:
        with Peer(port) as peer:
            results[cid] = peer.send(message(cid)).code

    with ListenerThread(flaky) as running:
        port = running.port
        flaky.release.clear()  # hold the first commit so the others queue up behind it as one group
        threads = [threading.Thread(target=send, args=(cid,)) for cid in ("OK-1", "POISON-1", "OK-2", "OK-3")]
        threads[0].start()
        assert flaky.entered.wait(5)
        for t in threads[1:]:
            t.start()
        assert running.server is not None
        intake = running.server.intake
        wait_for(lambda: intake.queued == 3)
        flaky.release.set()
        for t in threads:
            t.join(20)
    if down:  # the database is gone: every message AR, and no per-message retry of the group
        assert results == dict.fromkeys(("OK-1", "POISON-1", "OK-2", "OK-3"), "AR") and flaky.calls == 2
        assert rows_by_source_id(pg_dsn, store_schema) == {}
        return
    # the database is up but refuses one message: it is quarantined (E113) and answered AE, so
    # an in-order sender moves on instead of resending it for ever
    assert results == {"OK-1": "AA", "POISON-1": "AE", "OK-2": "AA", "OK-3": "AA"}
    assert flaky.calls == 6  # held single commit, the group of three, each of the three alone, the quarantine
    assert rows_by_source_id(pg_dsn, store_schema) == {key(c): 1 for c in ("OK-1", "OK-2", "OK-3")}
    with psycopg.connect(pg_dsn) as conn:
        codes = conn.execute(sql.SQL("SELECT reason_code FROM {}.quarantine").format(sql.Identifier(store_schema))).fetchall()
    assert codes == [("E113",)]


def test_a_message_nothing_of_which_can_be_stored_is_answered_ar(store: Store) -> None:
    flaky = FlakyStore(store, refuse_quarantine=True)
    with ListenerThread(flaky) as running, Peer(running.port) as peer:
        ack = peer.send(message("POISON-2"))
    assert (ack.code, ack.err5) == ("AR", "E112")


def test_unreachable_database_never_gets_aa(store_schema: str) -> None:
    down = Store("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2", store_schema, "v")
    with ListenerThread(down) as running, Peer(running.port) as peer:
        ack = peer.send(message("DOWN-1"))
    assert (ack.code, ack.ack_of, ack.err5) == ("AR", "DOWN-1", "E112")
    assert "postgres" not in ack.raw.decode()


def test_graceful_stop_finishes_the_message_in_flight(store: Store, pg_dsn: str, store_schema: str) -> None:
    flaky = FlakyStore(store)
    running = ListenerThread(flaky, grace=10.0).start()
    idle = socket.create_connection(("127.0.0.1", running.port), timeout=5)
    with Peer(running.port) as peer:
        flaky.release.clear()
        answer: list[str] = []
        sender = threading.Thread(target=lambda: answer.append(peer.send(message("FLIGHT-1")).code))
        sender.start()
        assert flaky.entered.wait(5)
        stopper = threading.Thread(target=running.stop)
        stopper.start()
        assert idle.recv(1) == b""  # a connection between messages is closed at once
        flaky.release.set()
        sender.join(10)
        stopper.join(20)
        assert answer == ["AA"]
        assert peer.client.socket.recv(1) == b""  # then the busy one is closed too
    idle.close()
    assert rows_by_source_id(pg_dsn, store_schema) == {key("FLIGHT-1"): 1}
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", running.port), timeout=2)


def test_a_nul_in_the_control_id_is_stored_and_answered_aa(store: Store, pg_dsn: str, store_schema: str) -> None:
    # a NUL in MSH-10 used to fail the insert and be answered AR for ever, stalling the feed
    with ListenerThread(store) as running, Peer(running.port) as peer:
        first = peer.send(message("NUL\x00-1"))
        after = peer.send(message("AFTER-1"))
    assert (first.code, after.code) == ("AA", "AA")
    assert rows_by_source_id(pg_dsn, store_schema) == {key("NUL\ufffd-1"): 1, key("AFTER-1"): 1}


def test_an_adt_without_text_is_filtered_and_answered_aa(store: Store, pg_dsn: str, store_schema: str) -> None:
    adt = message("ADT-1", text=None, trigger="A08").replace("ORU^A08^ORU_R01", "ADT^A08^ADT_A01")
    with ListenerThread(store) as running, Peer(running.port) as peer:
        ack = peer.send(adt)
    assert (ack.code, ack.ack_of) == ("AA", "ADT-1")
    assert rows_by_source_id(pg_dsn, store_schema) == {}  # nothing to process
    with psycopg.connect(pg_dsn) as conn:
        rows = conn.execute(sql.SQL("SELECT source_id, rule FROM {}.filtered").format(sql.Identifier(store_schema))).fetchall()
    assert rows == [(key("ADT-1"), "adt-without-text")]
