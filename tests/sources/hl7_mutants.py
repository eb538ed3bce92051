"""HL7 v2 mutants for the fuzz suite and the fast-path differential test (hypothesis strategies).

Seeds: the public HL7 v2 samples beside the project when present (``../shared/external/hl7v2``,
test input only), else the synthetic messages of :mod:`hl7_samples`.

* :func:`mutant`: everything a sender or a disk can do to a message (bit flips, truncation,
  delimiter and escape abuse, encodings, segment floods).
* :func:`reshaped`: a seed kept readable (segment ids and MSH-2 intact) with separators and
  blank, empty or odd values put in its fields, so that hl7apy's structure checks are met
  by many shapes of the same fields.
"""

from __future__ import annotations

from pathlib import Path

from hl7_samples import message, message_without_text
from hypothesis import strategies as st

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "external" / "hl7v2"
EXTERNAL_FILES: list[Path] = sorted(EXTERNAL.glob("*.hl7")) if EXTERNAL.is_dir() else []
SEEDS: list[bytes] = sorted(p.read_bytes() for p in EXTERNAL_FILES)
SEEDS = SEEDS or [message(f"SEED{i}").encode() for i in range(5)] + [message_without_text().encode()]
ABUSE = [
    b"\\.sp99999999\\",
    b"\\X00\\",
    b"\\X" + b"41" * 200 + b"\\",
    b"\\E\\\\E\\",
    b"\\",
    b"|",
    b"^~\\&",
    b"\x00",
    b"\x1c\r",
    b"\x0b",
    b"\r\n",
    b"\n",
    b"\xff\xfe",
    b"MSH|",
    b"FHS|^~\\&|\rBHS|^~\\&|\r",
    b"BTS|9\r",
    b"#",
    "é".encode("latin-1"),
]
#: what :func:`reshaped` puts in a field: separators, blanks (ASCII and not), values of
#: many datatypes (dates with and without offsets, numbers), and nothing
PIECES = [
    "",
    " ",
    "  ",
    "\t",
    "\u00a0",
    "\x1f",
    "^",
    "&",
    "~",
    "^^",
    "&&",
    "~~",
    " ^ ",
    " & ",
    "~ ~",
    "^&",
    "&^~",
    "x",
    "X^Y",
    "A&B&C",
    "1",
    "-3.5",
    "NaN",
    "1e999",
    "20240101",
    "20240230",
    "2024010112",
    "202401011230+0100",
    "20240101123000.1234-1300",
    "199913",
    "1200",
    "12+9999",
    "\\T\\",
    "\\",
    "ZZ",
    "é",
    "99999999999999999999",
]


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
            data = bytearray(
                bytes(data).decode("latin-1").encode(draw(st.sampled_from(["utf-16", "utf-8", "cp1252"])), errors="replace")
            )
    return bytes(data)


@st.composite
def reshaped(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS)).decode("utf-8", "replace").lstrip("\ufeff")
    segments = [s for s in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if s.strip()]
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(segments) - 1))
        seg = segments[i]
        start = 9 if seg.startswith("MSH") else 4  # the segment id and MSH-2 stay
        if len(seg) <= start:
            continue
        fields = seg[start:].split("|")
        f = draw(st.integers(0, len(fields) - 1))
        piece = draw(st.sampled_from(PIECES))
        how = draw(st.sampled_from(["replace", "insert", "append"]))
        if how == "replace":
            fields[f] = piece
        elif how == "insert":
            at = draw(st.integers(0, len(fields[f])))
            fields[f] = fields[f][:at] + piece + fields[f][at:]
        else:
            fields.append(piece)
        segments[i] = seg[:start] + "|".join(fields)
    return "\r".join(segments).encode("utf-8")
