"""The fast path (``validation="fast"``, :mod:`intakeflow.sources.hl7_fast`) gives what
hl7apy's whole parse (``validation="full"``) gives, record for record and field for field
(type, reason code and text, text, ids, patient, time, meta): on every external sample
(``../shared/external/hl7v2``, skipped when absent), on hypothesis mutants and reshaped
messages, on segments of any name and version hl7apy knows, on the segments it refuses on
some shapes, and when the verdicts it remembers were learnt from other messages. Below them,
the property the fast path rests on: hl7apy's datatypes take any value in tolerant mode. The
fuzz suite compares the two paths on each of its mutants as well (``fuzz_harness.check_hl7``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from hl7_mutants import EXTERNAL_FILES, mutant, reshaped
from hl7_samples import message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import intakeflow.sources.hl7_parse as hl7_parse
from intakeflow.errors import IntakeflowError
from intakeflow.results import InboundMessage, Quarantined, SourceItem
from intakeflow.sources import hl7_fast
from intakeflow.sources.hl7_files import read_file, split_messages
from intakeflow.sources.hl7_parse import parse_hl7, validation_mode

#: hypothesis examples per test: the whole parse costs up to ~65 ms a message, so a few hundred
#: (the fuzz suite compares the two paths on its 10,000 mutants besides)
MUTANTS = 200
RESHAPED = 120
BATCHES = 15
SEGMENTS = 300
TRICKY = 500


def _differential(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )


def both_ways(raw: bytes) -> tuple[list[SourceItem], list[SourceItem]]:
    """``raw`` split as an archive file is, each message parsed the full way, then the fast way."""
    messages = split_messages(raw)
    full = [parse_hl7(m, f"mutant.hl7#{i}", validation="full") for i, m in enumerate(messages)]
    fast = [parse_hl7(m, f"mutant.hl7#{i}", validation="fast") for i, m in enumerate(messages)]
    return full, fast


@pytest.fixture
def whole_parses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts hl7apy's whole parses (``parse_hl7``'s own; the fast path's small ones are not counted)."""
    calls: list[int] = []
    real: Callable[..., Any] = hl7_parse.parse_message

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hl7_parse, "parse_message", counting)
    yield calls


@pytest.mark.skipif(not EXTERNAL_FILES, reason="external HL7 samples not present")
def test_every_external_sample_reads_the_same_both_ways(whole_parses: list[int]) -> None:
    hl7_fast.clear()  # learnt from these samples alone, one after another
    full = {p.name: list(read_file(p, validation="full")) for p in EXTERNAL_FILES}
    parses_full = len(whole_parses)
    fast = {p.name: list(read_file(p, validation="fast")) for p in EXTERNAL_FILES}
    assert len(full) == 139
    differ = sorted(name for name in full if full[name] != fast[name])
    assert not differ, f"{len(differ)} sample(s) read differently by the fast path: {differ[:10]}"
    # and the fast path is not the full one in disguise: the samples pass without a whole parse
    assert parses_full >= 139
    assert len(whole_parses) - parses_full <= 139 // 10


@_differential(MUTANTS)
@given(mutant())
def test_mutants_read_the_same_both_ways(raw: bytes) -> None:
    full, fast = both_ways(raw)
    assert full == fast


@_differential(RESHAPED)
@given(reshaped())
def test_reshaped_messages_read_the_same_both_ways(raw: bytes) -> None:
    full, fast = both_ways(raw)
    assert full == fast


@_differential(BATCHES)
@given(st.lists(reshaped(), min_size=2, max_size=6))
def test_verdicts_learnt_from_other_messages_hold(batch: list[bytes]) -> None:
    """The fast answers of a batch read cold, in order, equal the full ones: each message
    meets the verdicts the ones before it left."""
    hl7_fast.clear()
    for raw in batch:
        full, fast = both_ways(raw)
        assert full == fast


_VERSIONS = ["2.1", "2.2", "2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8", "2.8.1", "2.8.2"]
_PIECES = st.sampled_from(["", "", " ", "\t", "\u00a0", "x", "1", "-1.5", "20240101", "202401011230+0100", "é", "\\T\\"])
_SEPARATORS = st.sampled_from(["|", "|", "|", "^", "^", "&", "~", ""])


@st.composite
def one_segment(draw: st.DrawFn) -> str:
    """A message of one version with one segment of any name that version knows, fields of
    any shape: hl7apy refuses some (TQ1-1 in 2.7, QRF in 2.8, ...), on their shape alone."""
    from hl7apy import load_library

    version = draw(st.sampled_from(_VERSIONS))
    names = sorted(n for n in load_library(version).SEGMENTS if len(n) == 3 and n != "MSH")
    name = draw(st.sampled_from([*names, "ZAB", "Z01"]))
    body = "".join(v + sep for v, sep in draw(st.lists(st.tuples(_PIECES, _SEPARATORS), max_size=40)))
    msh = f"MSH|^~\\&|A|FAC|B|C|20240301120000||ORU^R01^ORU_R01|R-1|P|{version}"
    return "\r".join([msh, "NTE|1||a text", f"{name}|{body}"])


@_differential(SEGMENTS)
@given(one_segment())
def test_any_segment_of_any_version_reads_the_same_both_ways(raw: str) -> None:
    assert parse_hl7(raw, "x", validation="fast") == parse_hl7(raw, "x", validation="full")


#: segments hl7apy refuses on some shapes (2.7: any TQ1-1 is a TypeError, SCH-11 and PR1-11/12 a
#: ChildNotValid; 2.8: no QRF at all, IndexError), beside segments it always takes
_TRICKY = [("2.7", "TQ1"), ("2.7", "SCH"), ("2.7", "PR1"), ("2.8", "QRF"), ("2.5", "TQ1"), ("2.5.1", "PID"), ("2.3", "PV1")]
_FEW_PIECES = st.sampled_from(["", "", " ", "x", "1"])


@st.composite
def tricky_segment(draw: st.DrawFn) -> str:
    """Few pieces over few fields, so that shapes recur and the verdicts learnt on one
    segment are met by the next ones (the cache is not cleared between examples)."""
    version, name = draw(st.sampled_from(_TRICKY))
    body = "".join(v + sep for v, sep in draw(st.lists(st.tuples(_FEW_PIECES, _SEPARATORS), max_size=16)))
    msh = f"MSH|^~\\&|A|FAC|B|C|20240301120000||ORU^R01^ORU_R01|R-1|P|{version}"
    return "\r".join([msh, "NTE|1||a text", f"{name}|{body}"])


@_differential(TRICKY)
@given(tricky_segment())
def test_segments_hl7apy_refuses_on_some_shapes_read_the_same_both_ways(raw: str) -> None:
    assert parse_hl7(raw, "x", validation="fast") == parse_hl7(raw, "x", validation="full")


def _datatypes() -> list[tuple[str, str]]:
    from hl7apy import load_library

    return [(v, dt) for v in _VERSIONS for dt in sorted(load_library(v).get_base_datatypes())]


_VALUES = st.text(min_size=1, max_size=30) | st.from_regex(
    r"[0-9]{2,14}(\.[0-9]{0,6})?([+-][0-9]{4})?|[+-]?[0-9.eE]{1,12}|[ 0-9]{1,8}", fullmatch=True
)


@settings(deadline=None, database=None, derandomize=True, max_examples=300)
@given(value=_VALUES)
def test_hl7apy_datatypes_take_any_value_in_tolerant_mode(value: str) -> None:
    """What the fast path rests on: in tolerant mode no value makes hl7apy raise (one it cannot
    hold becomes ST), so hl7apy's verdict depends on where separators stand and which pieces
    are empty or blank, never on the values; its verdict on one shape is its verdict on all
    messages of that shape."""
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.factories import datatype_factory

    for version, datatype in _datatypes():
        datatype_factory(datatype, value, version, VALIDATION_LEVEL.TOLERANT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("|1|TX|NOTE^Patient message||call me back||||||F", "|x|x|x^x||x||||||x"),
        ("| |\t^ ^x x &  & y~ ~", "|w|w^w^x&w&x~w~"),
        ("|Doe^^ &Jane\u00a0", "|x^^w&x"),
    ],
)
def test_shape_keeps_separators_and_says_empty_blank_or_content(text: str, expected: str) -> None:
    assert hl7_fast.shape(text) == expected


def test_a_message_of_a_known_shape_costs_no_whole_parse(whole_parses: list[int]) -> None:
    first = parse_hl7(message("C1", text="first text"), "a", validation="fast")
    learnt = len(whole_parses)
    second = parse_hl7(message("C2", text="another text, other values"), "b", validation="fast")
    assert isinstance(first, InboundMessage) and isinstance(second, InboundMessage)
    assert learnt == 0 and len(whole_parses) == 0  # the fast path never parses an ordinary message whole
    assert second == parse_hl7(message("C2", text="another text, other values"), "b", validation="full")


@pytest.mark.parametrize(
    "raw",
    [
        message().replace("^~\\&", "^~\\&#"),  # a truncation character: still the fast path's (2.5.1 refuses it)
        message().replace("|", "!"),  # other delimiters: left to the whole parse
        message().replace("2.5.1", "2.9"),  # a version hl7apy lacks: read as 2.8.2 by the whole parse
        message().replace("ORU^R01", "ORU^R01^ORU R01"),
        message().rstrip("\r") + "\rPV1|1|" + "^" * 300 + "|" + "&" * 40,
        message().replace("2.5.1", "2.7").rstrip("\r") + "\rTQ1|1",  # hl7apy 2.7 refuses any TQ1-1 (TypeError)
        message().replace("2.5.1", "2.8").rstrip("\r") + "\rQRF|X",  # and builds no QRF in 2.8 (IndexError)
    ],
)
def test_unusual_messages_read_the_same_both_ways(raw: str) -> None:
    assert parse_hl7(raw, "x", validation="fast") == parse_hl7(raw, "x", validation="full")


def test_validation_mode_comes_from_the_parameter_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INTAKEFLOW_HL7_VALIDATION", raising=False)
    assert validation_mode() == "fast"
    monkeypatch.setenv("INTAKEFLOW_HL7_VALIDATION", "FULL")
    assert validation_mode() == "full" and validation_mode("fast") == "fast"
    monkeypatch.setenv("INTAKEFLOW_HL7_VALIDATION", "quick")
    with pytest.raises(IntakeflowError) as err:
        validation_mode()
    assert err.value.code_id == "E050"
    from intakeflow.mllp.intake import Intake

    with pytest.raises(IntakeflowError):  # the listener refuses to start rather than answer each message E007
        Intake(cast(Any, None))


def test_read_file_takes_the_mode(tmp_path: Path, whole_parses: list[int]) -> None:
    path = tmp_path / "feed.hl7"
    path.write_text(message("M1") + message("M2").replace("2.5.1", "2.7").rstrip("\r") + "\rTQ1|1\r")
    full = list(read_file(path, validation="full"))
    assert len(whole_parses) == 2
    assert [type(i) for i in full] == [InboundMessage, Quarantined]
    assert isinstance(full[1], Quarantined) and full[1].reason == "E020: HL7 v2 message could not be parsed (TypeError)"
    assert list(read_file(path, validation="fast")) == full
    assert len(whole_parses) == 3  # the fast path parses whole only the message hl7apy refuses
