"""HL7 v2 input mutated every way a sender or a disk can (bit flips, truncation, delimiter
and escape abuse, encodings, segment floods) ends staged, filtered or quarantined with a
catalogue code, never in an uncaught exception, and in bounded time. Seeds: the public HL7 v2
samples beside the project when present (``../shared/external/hl7v2``, test input only),
else this suite's synthetic messages; hypothesis draws the mutations."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from hl7_samples import message, message_without_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intakeflow.errors import lookup
from intakeflow.results import Filtered, InboundMessage, Quarantined
from intakeflow.sources.hl7_files import read_file

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "external" / "hl7v2"
SEEDS: list[bytes] = sorted(p.read_bytes() for p in EXTERNAL.glob("*.hl7")) if EXTERNAL.is_dir() else []
SEEDS = SEEDS or [message(f"SEED{i}").encode() for i in range(5)] + [message_without_text().encode()]
ABUSE = [b"\\.sp99999999\\", b"\\X00\\", b"\\X" + b"41" * 200 + b"\\", b"\\E\\\\E\\", b"\\", b"|", b"^~\\&", b"\x00", b"\x1c\r",
         b"\x0b", b"\r\n", b"\n", b"\xff\xfe", b"MSH|", b"FHS|^~\\&|\rBHS|^~\\&|\r", b"BTS|9\r", b"#", "é".encode("latin-1")]
FOLDER = Path(tempfile.mkdtemp(prefix="hl7-fuzz-"))
#: mutants per run: 3,000 keep `make test` near its budget; INTAKEFLOW_FUZZ_EXAMPLES=10000 for a long run
EXAMPLES = int(os.environ.get("INTAKEFLOW_FUZZ_EXAMPLES", "3000"))
TIMES: list[float] = []


@st.composite
def mutant(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "flood", "delete", "encode"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(ABUSE) | st.binary(max_size=8))
        elif op == "flood":  # one segment repeated, or many segments of unknown names
            name = draw(st.sampled_from([b"OBX", b"NTE", b"QXZ", b"ZZZ", b"PID"]))
            data += b"".join(name + b"|" + str(i).encode() + b"\r" for i in range(draw(st.integers(1, 200))))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "encode":
            data = bytearray(bytes(data).decode("latin-1").encode(draw(st.sampled_from(["utf-16", "utf-8", "cp1252"])),
                                                                  errors="replace"))
    return bytes(data)


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(mutant())
def test_every_mutant_is_staged_or_quarantined(raw: bytes) -> None:
    path = FOLDER / "mutant.hl7"
    path.write_bytes(raw)
    started = time.perf_counter()
    items = list(read_file(path, FOLDER))
    TIMES.append((time.perf_counter() - started) / max(1, len(items)))
    assert items, "a file always leaves a record"
    for item in items:
        assert isinstance(item, InboundMessage | Quarantined | Filtered)
        if isinstance(item, Filtered):
            assert item.rule
        elif isinstance(item, Quarantined):
            assert lookup(item.reason_code) is not None, item.reason_code


def test_time_per_message_stays_bounded() -> None:
    if len(TIMES) < 100:  # run alone: the fuzz test above fills TIMES
        test_every_mutant_is_staged_or_quarantined()
    assert statistics.median(TIMES) < 0.05, f"median {statistics.median(TIMES) * 1000:.1f} ms per message"
