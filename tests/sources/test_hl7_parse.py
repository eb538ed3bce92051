from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hl7_samples import NTE, OBX_NM, PID, message, message_without_text

from intakeflow.errors import E
from intakeflow.results import Filtered, InboundMessage, Quarantined
from intakeflow.sources.hl7_files import read_file
from intakeflow.sources.hl7_parse import HL7_SOURCE, parse_hl7, parse_hl7_datetime

EXTERNAL = Path("/work/shared/external/hl7v2")
CODES = {m.name.split("_", 1)[0] for m in E}


def test_parses_text_identity_patient_and_time() -> None:
    out = parse_hl7(message(), "feed.hl7#0")
    assert isinstance(out, InboundMessage)
    assert out.source == HL7_SOURCE
    assert out.source_id == "NORTHCLINIC|CTRL0001"
    assert out.text == "please call me back about my refill"
    assert out.channel == "hl7_note"
    assert out.patient_ref == "NORTHCLINIC|MR-000123"
    assert out.received_at == datetime(2024, 3, 5, 14, 30, tzinfo=timezone(-timedelta(hours=5)))
    assert out.meta["message_type"] == "ORU^R01"
    assert out.meta["origin"] == "feed.hl7#0"


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n"])
def test_segment_terminators_are_equivalent(sep: str) -> None:
    out = parse_hl7(message(sep=sep), "x")
    assert isinstance(out, InboundMessage)
    assert out.text == "please call me back about my refill"


def test_utf8_bom_is_stripped() -> None:
    out = parse_hl7(b"\xef\xbb\xbf" + message().encode(), "x")
    assert isinstance(out, InboundMessage)
    assert out.source_id == "NORTHCLINIC|CTRL0001"
    assert "encoding_fallback" not in out.meta


def test_escapes_and_repetitions_in_text() -> None:
    text = "first \\T\\ second\\.br\\third~next repetition"
    out = parse_hl7(message(text=text), "x")
    assert isinstance(out, InboundMessage)
    assert out.text == "first & second\nthird\nnext repetition"


def test_nte_text_is_included_after_obx_text() -> None:
    raw = message().rstrip("\r") + "\r" + NTE.format(text="sent from the kiosk") + "\r"
    out = parse_hl7(raw, "x")
    assert isinstance(out, InboundMessage)
    assert out.text.splitlines() == ["please call me back about my refill", "sent from the kiosk"]


def test_numeric_obx_is_not_text() -> None:
    out = parse_hl7(message_without_text(), "x")
    assert isinstance(out, Quarantined)
    assert out.reason_code == "E022"
    assert out.source_id == "NORTHCLINIC|CTRL0002"


def test_non_utf8_bytes_fall_back_with_flag() -> None:
    raw = message(text="caf\xe9 visit").encode("cp1252")
    out = parse_hl7(raw, "x")
    assert isinstance(out, InboundMessage)
    assert out.text == "café visit"
    assert out.meta["encoding_fallback"] is True
    assert out.meta["encoding"] == "cp1252"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1() -> None:
    raw = message(text="x").encode().replace(b"|x|", b"|\x81\x8d|")
    out = parse_hl7(raw, "x")
    assert isinstance(out, InboundMessage)
    assert out.meta["encoding"] == "latin-1"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "E021"),
        ("PID|1||X", "E021"),
        ("MSH|^~\\&|A|B|C|D|2024", "E024"),  # cut inside MSH
        (message().rstrip("\r") + "\rOB", "E024"),  # cut inside a segment id
        (message().rstrip("\r") + "\rOBX|3|TX|N||cut here", None),  # cut inside a field: still readable
    ],
)
def test_broken_messages_quarantine_or_parse(raw: str, code: str | None) -> None:
    out = parse_hl7(raw, "broken.hl7#0")
    if code is None:
        assert isinstance(out, InboundMessage)
    else:
        assert isinstance(out, Quarantined)
        assert out.reason_code == code
        assert out.source == HL7_SOURCE


def test_missing_control_id_gets_stable_fallback_id() -> None:
    raw = message(ctrl="")
    a, b = parse_hl7(raw, "f.hl7#0"), parse_hl7(raw, "f.hl7#0")
    assert isinstance(a, InboundMessage) and isinstance(b, InboundMessage)
    assert a.source_id == b.source_id
    assert a.source_id.startswith("f.hl7#0|sha256:")


def test_unknown_segment_for_version_is_tolerated() -> None:
    raw = "\r".join([message().rstrip("\r"), "PRT|1|AD||RO^Referring^HL70912"]) + "\r"
    out = parse_hl7(raw, "x")
    assert isinstance(out, InboundMessage)
    assert out.meta.get("unknown_segments") == ["PRT"]


def test_quarantine_reason_carries_no_message_text() -> None:
    secret = "ZZSECRETZZ"
    raw = "\r".join(["MSH|^~\\&|A|B|C|D|20240101||ADT^A01|C9|P|2.5", PID, OBX_NM, f"NTE|1||{secret}"])
    out = parse_hl7(raw.replace("NTE", "N$E"), "x")
    assert isinstance(out, Quarantined)
    assert secret not in out.reason and secret not in str(out.meta)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20240305", datetime(2024, 3, 5, tzinfo=UTC)),
        ("202403051430", datetime(2024, 3, 5, 14, 30, tzinfo=UTC)),
        ("20240305143015.123+0100", datetime(2024, 3, 5, 14, 30, 15, tzinfo=timezone(timedelta(hours=1)))),
        ("2024133", None),
        ("", None),
        ("20241341", None),
        ("20160308180405-2500", None),  # an offset past 24 hours (found by the fuzz suite)
        ("20160308180405+0090", None),
        ("20160308180405-1400", datetime(2016, 3, 8, 18, 4, 5, tzinfo=timezone(timedelta(hours=-14)))),
    ],
)
def test_hl7_datetime(value: str, expected: datetime | None) -> None:
    assert parse_hl7_datetime(value) == expected


def _external_files() -> list[Path]:
    return sorted(EXTERNAL.glob("*.hl7")) if EXTERNAL.is_dir() else []


@pytest.mark.skipif(not _external_files(), reason="external HL7 samples not present")
def test_every_external_sample_parses_or_quarantines_with_a_code() -> None:
    files = _external_files()
    parsed = quarantined = filtered = 0
    for path in files:
        results = list(read_file(path))
        assert len(results) == 1, path.name  # one MSH per sample file
        out = results[0]
        if isinstance(out, InboundMessage):
            parsed += 1
            assert out.text.strip()
            assert "|" in out.source_id
        elif isinstance(out, Filtered):  # an ADT, SIU, ACK or MFN without text
            filtered += 1
            assert out.rule.endswith("-without-text") and out.meta["message_type"].split("^")[0] in {"ADT", "SIU", "ACK", "MFN"}
        else:
            quarantined += 1
            assert out.reason_code in CODES
            assert out.reason.startswith(out.reason_code)
    assert parsed + quarantined + filtered == len(files) == 139
    assert filtered >= 20  # the samples hold many ADT messages, which carry no text
    assert parsed >= 50  # OBX TX/FT/ST or NTE text is common in the set


def test_unknown_segment_names_cost_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    import intakeflow.sources.hl7_parse as mod

    calls = []
    real = mod.parse_message

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(mod, "parse_message", counting)
    segments = [
        "MSH|^~\\&|A|FAC|B|C|20240301120000||ORU^R01^ORU_R01|FLOOD-1|P|2.5.1",
        "PID|1||T1^^^M^MR||Doe^Jane",
        "OBX|1|TX|MSG^M^L||hello there||||||F",
        *(f"Q{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}|{i}" for i in range(1600)),
        "ZXY|kept",
    ]
    msg = parse_hl7("\r".join(segments), "flood.hl7", validation="full")
    assert isinstance(msg, InboundMessage) and msg.text == "hello there"
    assert len(msg.meta["unknown_segments"]) > 600 and "ZXY" not in msg.meta["unknown_segments"]  # QAK, QPD... are known
    assert len(calls) == 1
    assert parse_hl7("\r".join(segments), "flood.hl7", validation="fast") == msg and len(calls) == 1  # no whole parse


def test_a_text_above_the_limit_is_quarantined_at_the_source() -> None:
    from intakeflow.results import MAX_TEXT_CHARS

    raw = "\r".join([
        "MSH|^~\\&|A|FAC|B|C|20240301120000||ORU^R01^ORU_R01|BIG-1|P|2.5.1",
        "OBX|1|TX|MSG^M^L||" + "x" * (MAX_TEXT_CHARS + 1) + "||||||F",
    ])
    out = parse_hl7(raw, "big.hl7")
    assert isinstance(out, Quarantined) and out.reason_code == "E002"



@pytest.mark.parametrize(
    ("msh9", "text", "kind"),
    [
        ("ADT^A08^ADT_A01", None, "filtered"),  # expected traffic without text
        ("SIU^S12^SIU_S12", None, "filtered"),
        ("ORU^R01^ORU_R01", None, "quarantined"),  # a result without text is broken
        ("ADT^A08^ADT_A01", "please update my address", "message"),  # text is never filtered
    ],
)
def test_filters_take_expected_traffic_without_text(msh9: str, text: str | None, kind: str) -> None:
    segments = [f"MSH|^~\\&|A|FAC|B|C|20240301120000||{msh9}|F-1|P|2.5.1", "PID|1||T1^^^M^MR||Doe^Jane"]
    if text:
        segments.append(f"NTE|1||{text}")
    out = parse_hl7("\r".join(segments), "f.hl7")
    got = {InboundMessage: "message", Quarantined: "quarantined", Filtered: "filtered"}[type(out)]
    assert got == kind
    if isinstance(out, Filtered):
        assert out.rule == f"{msh9[:3].lower()}-without-text" and out.source_id == "FAC|F-1"
    assert isinstance(parse_hl7("\r".join(segments), "f.hl7", filters=()), InboundMessage | Quarantined)
