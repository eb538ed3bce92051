from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mllp_peer import Ack, message

from intakeflow.mllp.ack import AckError, build_ack, escape, new_control_id, read_msh
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
