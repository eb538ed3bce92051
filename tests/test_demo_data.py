from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from intakeflow.results import Filtered, InboundMessage, Quarantined
from intakeflow.sources import parse_hl7
from intakeflow.sources.fhir_source import communication_to_inbound
from tools.demo_data import HL7_TYPES, DemoText, communication, escape_hl7, hl7_message, write_hl7_archive

TEXT = "Pay | my ^ bill & more ~ now \\ ok\nsecond line"
WHEN = datetime(2024, 3, 4, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize("kind", HL7_TYPES)
def test_hl7_round_trip_through_the_parser(kind: str) -> None:
    raw = hl7_message(kind, control_id="C1", when=WHEN, patient_id="42", text=TEXT)
    parsed = parse_hl7(raw, "x.hl7#0")
    assert isinstance(parsed, InboundMessage)
    assert (parsed.text, parsed.source_id, parsed.meta["message_type"]) == (TEXT, "DEMOFAC|C1", kind)
    assert parsed.received_at == WHEN


@pytest.mark.parametrize("kind", HL7_TYPES)
def test_hl7_without_text_is_quarantined_or_filtered(kind: str) -> None:
    parsed = parse_hl7(hl7_message(kind, control_id="C2", when=WHEN, patient_id="42", text=None), "x#1")
    if kind.startswith("ADT"):  # expected traffic without text (sources/filters.py)
        assert isinstance(parsed, Filtered) and parsed.rule == "adt-without-text"
    else:
        assert isinstance(parsed, Quarantined) and parsed.reason_code == "E022"


def test_escape_and_unknown_type() -> None:
    assert escape_hl7("a|b\nc") == "a\\F\\b~c"
    with pytest.raises(ValueError):
        hl7_message("ADT^A01", control_id="C", when=WHEN, patient_id="1", text="x")


def test_communication_maps_back_to_text_and_channel() -> None:
    resource = {**communication(DemoText("d1", TEXT, "sms"), patient_id="p1", when=WHEN), "id": "c1"}
    parsed = communication_to_inbound(resource)
    assert isinstance(parsed, InboundMessage)
    assert (parsed.text, parsed.channel, parsed.patient_ref) == (TEXT, "sms", "Patient/p1")


def test_archive_reports_each_file_written(tmp_path: Path) -> None:
    texts = [DemoText(f"t{i}", f"note {i}") for i in range(10)]
    written: list[int] = []
    summary = write_hl7_archive(tmp_path, texts, WHEN, days=2, files_per_day=2, without_text_every=4, on_file=written.append)
    assert summary.files == len(written) == 4 == len(list(tmp_path.rglob("*.hl7")))
    assert sum(written) == summary.messages == 10 and summary.without_text == 2
