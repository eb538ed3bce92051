from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mllp_peer import Ack, message

from intakeflow.mllp.ack import AckError, ack_wanted, answer_code, build_ack, escape, new_control_id, read_msh
from intakeflow.sources.hl7_escape import Delimiters

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("trigger", "msh9"), [("R01", "ACK^R01^ACK"), ("A08", "ACK^A08^ACK")])
def test_accept_ack_fields(trigger: str, msh9: str) -> None:
    msh = read_msh(message("CTRL-7", trigger=trigger).encode())
    assert msh is not None
    ack = Ack.parse(build_ack(msh, "AA", control_id="ACK-1", now=NOW))
    assert (ack.msh9, ack.code, ack.ack_of, ack.msh10, ack.msh12) == (msh9, "AA", "CTRL-7", "ACK-1", "2.5.1")
    assert (ack.msh3, ack.msh5) == ("RECVAPP", "SENDAPP")  # sender and receiver swapped
    assert ack.err5 is None
    text = ack.raw.decode()
    assert "|RECVAPP|RECVFAC|SENDAPP|TESTLAB|20240301120000+0000||" in text
    assert text.split("\r")[0].split("|")[10] == "P"  # MSH-11 echoed


@pytest.mark.parametrize("code", ["AE", "AR"])
def test_error_ack_carries_err_segment(code: str) -> None:
    msh = read_msh(message("C9").encode())
    assert msh is not None
    raw = build_ack(msh, code, AckError("207", "E112", "E112: not stored (OperationalError)"))  # type: ignore[arg-type]
    ack = Ack.parse(raw)
    assert (ack.code, ack.ack_of, ack.err5) == (code, "C9", "E112")
    err = raw.decode().split("\r")[2].split("|")
    assert err[0] == "ERR" and err[3] == "207^Application internal error^HL70357" and err[4] == "E"


def test_pre_2_5_err_uses_err_1() -> None:
    msh = read_msh(message("C1", version="2.3").encode())
    assert msh is not None
    raw = build_ack(msh, "AE", AckError("101", "E022", "E022: no text")).decode()
    assert raw.split("\r")[2] == "ERR|MSH^1^^101&Required field missing&HL70357"
    assert raw.split("\r")[1] == "MSA|AE|C1|E022: no text"


def test_ack_uses_the_message_delimiters_and_escapes_the_reason() -> None:
    raw = "MSH#$%\\@#APP#FAC#ME#HERE#20240301##ORU$R01#X-1#T#2.5.1\rPID#1"
    msh = read_msh(raw.encode())
    assert msh is not None and msh.trigger == "R01" and msh.processing_id == "T"
    ack = build_ack(msh, "AE", AckError("102", "E020", "bad # and $ here")).decode()
    segments = ack.split("\r")
    assert segments[0].startswith("MSH#$%\\@#ME#HERE#APP#FAC#") and "#ACK$R01$ACK#" in segments[0]
    assert segments[1] == "MSA#AE#X-1#bad \\F\\ and \\S\\ here"


@pytest.mark.parametrize(
    "raw",
    [b"", b"hello world", b"PID|1||X", b"MSH", b"MSHA^~\\&|x", "\u00e9t\u00e9".encode("latin-1")],
)
def test_read_msh_refuses_what_is_not_a_message(raw: bytes) -> None:
    assert read_msh(raw) is None


def test_read_msh_without_trigger_or_control_id() -> None:
    msh = read_msh(b"MSH|^~\\&|A|B|C|D|20240301||ADT||P|2.4")
    assert msh is not None
    ack = build_ack(msh, "AA").decode()
    assert ack.split("\r")[0].split("|")[8] == "ACK" and ack.split("\r")[1] == "MSA|AA|"


def test_non_utf8_message_gets_an_ack_in_its_charset() -> None:
    raw = message("C5").replace("SENDAPP", "CAF\u00c9").encode("cp1252")
    msh = read_msh(raw)
    assert msh is not None and msh.charset == "cp1252"
    assert "CAF\u00c9" in build_ack(msh, "AA").decode("cp1252")


def test_control_ids_are_new_and_20_long() -> None:
    ids = {new_control_id() for _ in range(100)}
    assert len(ids) == 100 and {len(i) for i in ids} == {20}


def test_escape_escapes_the_escape_first() -> None:
    assert escape("a\\b|c", Delimiters()) == "a\\E\\b\\F\\c"


def test_read_msh_takes_msh15_and_msh16_liberally() -> None:
    original = read_msh(message("C1").encode())
    assert original is not None and not original.enhanced and original.application_condition == "NE"
    msh = read_msh(message("C1", accept_ack=" er^x ", application_ack="su").encode())
    assert msh is not None and msh.enhanced
    assert (msh.accept_ack, msh.application_ack, msh.accept_condition, msh.application_condition) == ("ER", "SU", "ER", "SU")
    odd = read_msh(message("C1", accept_ack="", application_ack="maybe").encode())
    assert odd is not None and odd.enhanced and odd.accept_condition == "AL" and odd.application_condition == "AL"


@pytest.mark.parametrize(
    ("mode", "wanted"),
    [("AL", {"CA", "CE", "CR"}), ("NE", set()), ("ER", {"CE", "CR"}), ("SU", {"CA"})],
)
def test_msh15_decides_which_commit_acks_are_sent(mode: str, wanted: set[str]) -> None:
    msh = read_msh(message("C1", accept_ack=mode, application_ack="NE").encode())
    assert msh is not None
    assert {c for c in ("CA", "CE", "CR") if ack_wanted(msh, c)} == wanted


def test_original_mode_always_answers_and_keeps_its_codes() -> None:
    msh = read_msh(message("C1").encode())
    assert msh is not None
    assert [answer_code(msh, c) for c in ("AA", "AE", "AR")] == ["AA", "AE", "AR"]
    assert all(ack_wanted(msh, c) for c in ("AA", "AE", "AR"))


def test_enhanced_mode_answers_with_commit_codes() -> None:
    msh = read_msh(message("C1", accept_ack="AL").encode())
    assert msh is not None
    # committed -> CA; refused content, bad frame, failed commit -> CE (CR is for MSH-9/11/12, never refused here)
    assert [answer_code(msh, c) for c in ("AA", "AE", "AR")] == ["CA", "CE", "CE"]


def test_enhanced_ack_is_never_acknowledged_itself() -> None:
    msh = read_msh(message("CTRL-9", accept_ack="AL", application_ack="AL").encode())
    assert msh is not None
    ack = Ack.parse(build_ack(msh, "CA", control_id="ACK-9", now=NOW))
    assert (ack.msh9, ack.code, ack.ack_of, ack.msh10, ack.msh12) == ("ACK^R01^ACK", "CA", "CTRL-9", "ACK-9", "2.5.1")
    assert (ack.msh7, ack.msh15, ack.msh16) == ("20240301120000+0000", "NE", "NE")
    original = build_ack(read_msh(message("CTRL-9").encode()), "AA", control_id="ACK-9", now=NOW)  # type: ignore[arg-type]
    assert original.split(b"\r")[0].count(b"|") == 11  # original mode: the header ends at MSH-12, as before
