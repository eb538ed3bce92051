"""Enhanced acknowledgement mode over real MLLP (python-hl7's MLLPClient as the sender):
MSH-15 decides whether the commit ACK (CA / CE) is sent, MSH-16 asks for an application
ACK the listener does not fake, and messages without either keep the original mode."""

from __future__ import annotations

import logging
import re

import psycopg
import pytest
from mllp_peer import (
    EB,
    FACILITY,
    SB,
    Ack,
    FlakyStore,
    ListenerThread,
    Peer,
    message,
    quarantine_codes,
    rows_by_source_id,
)
from psycopg import sql

from intakeflow.mllp.framing import frame
from intakeflow.store import Store

#: MSH-15 -> whether a commit accept (CA) / a commit error (CE) is answered
SENT = {"AL": (True, True), "NE": (False, False), "ER": (False, True), "SU": (True, False)}
#: ends every exchange: an original-mode message, answered AA, so the ACKs read before it
#: are exactly those the listener sent for the message under test
AFTER = "AFTER-1"


def key(control_id: str) -> str:
    return f"{FACILITY}|{control_id}"


def exchange(port: int, data: bytes, after: str = "AA") -> list[Ack]:
    with Peer(port) as peer:
        acks = peer.send_then(data + frame(message(AFTER).encode()), AFTER)
        assert peer.nothing_more()
    assert (acks[-1].code, acks[-1].msh15) == (after, "")  # the closing message stays in original mode
    return acks[:-1]


def assert_commit_ack(ack: Ack, code: str, control_id: str) -> None:
    assert (ack.code, ack.ack_of, ack.msh9, ack.msh12) == (code, control_id, "ACK^R01^ACK", "2.5.1")
    assert (ack.msh15, ack.msh16) == ("NE", "NE")  # an ACK is never acknowledged
    assert re.fullmatch(r"\d{14}\+0000", ack.msh7)
    assert ack.msh10 and ack.msh10 != control_id
    assert (ack.msh3, ack.msh5) == ("RECVAPP", "SENDAPP")


@pytest.mark.parametrize("mode", list(SENT))
def test_accepted_message(listener: ListenerThread, pg_dsn: str, store_schema: str, mode: str) -> None:
    acks = exchange(listener.port, frame(message("ENH-1", accept_ack=mode, application_ack="NE").encode()))
    if SENT[mode][0]:
        assert len(acks) == 1
        assert_commit_ack(acks[0], "CA", "ENH-1")
        assert acks[0].err5 is None
    else:
        assert acks == []
    # the ACK (or its absence) changes nothing about what is stored
    assert rows_by_source_id(pg_dsn, store_schema) == {key("ENH-1"): 1, key(AFTER): 1}


# a segment id in lower case: the parser refuses the message (E024) and quarantines it
MALFORMED = message("ENH-2", accept_ack="{mode}", application_ack="NE").replace("\rPID|", "\rpid|")


@pytest.mark.parametrize("mode", list(SENT))
def test_rejected_message(listener: ListenerThread, pg_dsn: str, store_schema: str, mode: str) -> None:
    acks = exchange(listener.port, frame(MALFORMED.format(mode=mode).encode()))
    if SENT[mode][1]:
        assert len(acks) == 1
        assert_commit_ack(acks[0], "CE", "ENH-2")
        assert acks[0].err5 == "E024"
        assert "Sample" not in acks[0].raw.decode()  # reasons, never content
    else:
        assert acks == []
    assert quarantine_codes(pg_dsn, store_schema) == {key("ENH-2"): "E024"}
    assert rows_by_source_id(pg_dsn, store_schema) == {key(AFTER): 1}


@pytest.mark.parametrize("mode", list(SENT))
def test_malformed_frame(listener: ListenerThread, pg_dsn: str, store_schema: str, mode: str) -> None:
    # end block without its CR: rejected at the framing level (E111), nothing stored
    data = SB + message("ENH-3", accept_ack=mode, application_ack="NE").encode() + EB
    acks = exchange(listener.port, data)
    if SENT[mode][1]:
        assert len(acks) == 1
        assert_commit_ack(acks[0], "CE", "ENH-3")
        assert acks[0].err5 == "E111"
    else:
        assert acks == []
    assert rows_by_source_id(pg_dsn, store_schema) == {key(AFTER): 1}
    assert quarantine_codes(pg_dsn, store_schema) == {}


@pytest.mark.parametrize(("mode", "sent"), [("AL", True), ("ER", True), ("SU", False), ("NE", False)])
def test_failed_commit_is_a_commit_error(store: Store, pg_dsn: str, store_schema: str, mode: str, sent: bool) -> None:
    flaky = FlakyStore(store, psycopg.OperationalError("connection refused"))
    with ListenerThread(flaky) as running:
        acks = exchange(running.port, frame(message("ENH-4", accept_ack=mode).encode()), after="AR")
    if sent:
        assert len(acks) == 1
        assert_commit_ack(acks[0], "CE", "ENH-4")
        assert acks[0].err5 == "E112"
    else:
        assert acks == []
    assert rows_by_source_id(pg_dsn, store_schema) == {}


def test_application_ack_is_recorded_not_faked(listener: ListenerThread, pg_dsn: str, store_schema: str,
                                               caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="intakeflow.mllp"):
        acks = exchange(listener.port, frame(message("ENH-5", accept_ack="AL", application_ack="AL").encode()))
    assert [a.code for a in acks] == ["CA"]  # the commit ACK only: no AA, now or later
    with psycopg.connect(pg_dsn) as conn:
        meta = conn.execute(sql.SQL("SELECT meta FROM {}.messages WHERE source_id = %s").format(
            sql.Identifier(store_schema)), (key("ENH-5"),)).fetchone()
    assert meta is not None and meta[0]["application_ack"] == "AL"
    assert listener.server is not None and listener.server.counts["application_ack_requested"] == 1
    told = [r.getMessage() for r in caplog.records if "application acknowledgements" in r.getMessage()]
    assert len(told) == 1 and "ENH-5" not in told[0] and "please" not in told[0]


@pytest.mark.parametrize(("msh15", "msh16", "answer"), [
    ("", "", "AA"),          # original mode: neither field
    ("", "AL", "CA"),        # enhanced mode with MSH-15 left empty: the commit ACK is sent
    (" al ", "", "CA"),      # liberal: case and blanks
    ("XX", "", "CA"),        # an unknown condition is taken as AL
])
def test_mode_is_read_liberally(listener: ListenerThread, msh15: str, msh16: str, answer: str) -> None:
    text = message("ENH-6")
    if msh15 or msh16:
        text = text.replace("|P|2.5.1\r", f"|P|2.5.1|||{msh15}|{msh16}\r", 1)
    with Peer(listener.port) as peer:
        ack = peer.send(text)
    assert (ack.code, ack.ack_of) == (answer, "ENH-6")
    assert (ack.msh15, ack.msh16) == (("NE", "NE") if answer == "CA" else ("", ""))
