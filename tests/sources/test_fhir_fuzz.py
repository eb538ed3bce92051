"""FHIR input of any shape ends staged, filtered or quarantined with a catalogue code, never in
an uncaught exception, in bounded time and memory. Three kinds of input, all drawn by
hypothesis: mutants of the public FHIR R4 examples beside the project (``../shared/external/
fhir-r4``, test input only; structural edits, re-typing as a Communication, Bundle wrapping
and floods, then byte-level bit flips, truncation, escape abuse and other encodings),
documents of any JSON shape, and NDJSON exports of them. Counts go to
``.state/fuzz-summary-fhir.json`` and one line at the end of the run (fuzz_harness)."""

from __future__ import annotations

import copy
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from fuzz_harness import FuzzStats, check_fhir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intakeflow.cli.store import read_fhir_file
from intakeflow.results import Quarantined

EXTERNAL = Path(__file__).resolve().parents[3] / "shared" / "external" / "fhir-r4"
_COMMUNICATION = {"resourceType": "Communication", "id": "c1", "status": "completed",
                  "payload": [{"contentString": "please call me back about my refill"}]}
SEEDS: list[Any] = [json.loads(p.read_text()) for p in sorted(EXTERNAL.glob("[A-Z]*-*.json"))] if EXTERNAL.is_dir() else []
SEEDS = SEEDS or [_COMMUNICATION, {"resourceType": "Patient", "id": "p1"}]
#: seeded mutants per run (2,000 in `make test`); INTAKEFLOW_FUZZ_FHIR_EXAMPLES sets another count
SEEDED = int(os.environ.get("INTAKEFLOW_FUZZ_FHIR_EXAMPLES", "2000"))
BATCH = 50
MEDIAN_SECONDS = 0.050
PEAK_BYTES = 64 * 2**20
MAX_BYTES = 2 * 2**20
ABUSE = [b"\x00", b'"', b"{", b"}", b"[", b",", b"\\", b"\\u0000", b"\\ud800", b"\\uDFFF", b"\xff", b"\xc3", b"\xef\xbb\xbf",
         b"NaN", b"Infinity", b"1e999", b"-0", b"\r\n", b"[" * 64]
FOLDER = Path(tempfile.mkdtemp(prefix="fhir-fuzz-"))
STATS = FuzzStats("fhir")

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20
)
#: the fields the mapping reads, each with a value of any shape, and sometimes a valid one
PAYLOAD = st.lists(st.fixed_dictionaries({}, optional={"contentString": JSON | st.text(min_size=1, max_size=40)}), max_size=3)
COMMUNICATION = st.fixed_dictionaries(
    {"resourceType": st.just("Communication")},
    optional={
        "id": JSON | st.from_regex(r"[A-Za-z0-9-]{1,16}", fullmatch=True),
        "status": JSON | st.just("completed"),
        "payload": JSON | PAYLOAD,
        "meta": JSON,
        "identifier": JSON,
        "subject": JSON,
        "category": JSON,
        "sent": JSON,
        "medium": JSON,
    },
)
ENTRY = st.fixed_dictionaries({}, optional={"resource": COMMUNICATION | JSON, "search": JSON, "fullUrl": JSON}) | JSON
BUNDLE = st.fixed_dictionaries(
    {"resourceType": st.just("Bundle")}, optional={"entry": st.lists(ENTRY, max_size=4) | JSON, "link": JSON, "type": JSON}
)
DOCUMENT = BUNDLE | COMMUNICATION | JSON


def _edit(draw: st.DrawFn, doc: Any) -> Any:
    """One structural edit somewhere in ``doc``: a value replaced, removed or flooded."""
    holder: Any = None
    key: Any = None
    node = doc
    for _ in range(draw(st.integers(0, 6))):  # walk down to a random node
        if isinstance(node, dict) and node:
            holder, key = node, draw(st.sampled_from(sorted(node)))
        elif isinstance(node, list) and node:
            holder, key = node, draw(st.integers(0, len(node) - 1))
        else:
            break
        node = holder[key]
    op = draw(st.sampled_from(["replace", "delete", "flood", "long", "retype"]))
    if holder is None or op == "retype":
        if isinstance(doc, dict):
            doc["resourceType"] = draw(st.sampled_from(["Communication", "Bundle", "", "communication"]))
            doc.setdefault("status", "completed")
        return doc
    if op == "replace":
        holder[key] = draw(JSON)
    elif op == "delete":
        if isinstance(holder, dict):
            del holder[key]
        else:
            holder.pop(key)
    elif op == "flood":
        holder[key] = [copy.deepcopy(node) for _ in range(draw(st.integers(1, 100)))]
    elif op == "long":
        holder[key] = draw(st.sampled_from(["x", "\\.br\\", "\u202e", "\ud800", "<div>"])) * draw(st.integers(1, 20_000))
    return doc


@st.composite
def fhir_mutant(draw: st.DrawFn) -> tuple[bytes, bool]:
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 3))):
        doc = _edit(draw, doc)
    shape = draw(st.sampled_from(["document", "bundle", "nested", "ndjson"]))
    if shape == "bundle":
        doc = {"resourceType": "Bundle", "entry": [{"resource": doc} for _ in range(draw(st.integers(1, 50)))]}
    elif shape == "nested":
        for _ in range(draw(st.integers(1, 40))):
            doc = {"resourceType": "Bundle", "entry": [{"resource": doc}]}
    ndjson = shape == "ndjson"
    text = "\n".join(json.dumps(doc) for _ in range(draw(st.integers(1, 5)))) if ndjson else json.dumps(doc, indent=1)
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(0, 3))):  # byte level, after the structure
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete", "encode"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from(ABUSE) | st.binary(max_size=8))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif op == "encode":
            data = bytearray(bytes(data).decode("utf-8", "replace").encode(draw(st.sampled_from(["utf-16", "latin-1", "cp1252"])),
                                                                             errors="replace"))
    # floods, long values and Bundle wrapping multiply: a mutant is cut at MAX_BYTES (a
    # truncation like any other), so the memory bound below is about the reader, not the input
    return bytes(data[:MAX_BYTES]), ndjson


def _record(outcomes: list[Any], kind: str) -> None:
    wrong = [problem for outcome in outcomes for problem in STATS.add(outcome, need_record=False, kind=kind)]
    assert not wrong, f"{len(wrong)} input(s) did not end staged, filtered or quarantined: {sorted(set(wrong))}"


@settings(max_examples=max(1, SEEDED // BATCH), deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(fhir_mutant(), min_size=BATCH, max_size=BATCH))
def test_mutants_of_the_fhir_examples(batch: list[tuple[bytes, bool]]) -> None:
    try:
        _record([check_fhir(raw, ndjson) for raw, ndjson in batch], "seeded-mutant")
    finally:
        STATS.publish()


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_any_json_document(doc: Any) -> None:
    try:
        _record([check_fhir(json.dumps(doc).encode())], "generated-document")
    finally:
        STATS.publish()


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(DOCUMENT | st.text(max_size=20), min_size=1, max_size=5))
def test_any_ndjson_lines(lines: list[Any]) -> None:
    raw = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines).encode("utf-8", "surrogatepass")
    try:
        _record([check_fhir(raw, ndjson=True)], "generated-ndjson")
    finally:
        STATS.publish()


def test_nesting_past_the_parsers_depth_is_quarantined() -> None:
    path = FOLDER / "deep.json"
    path.write_text("[" * 50_000 + "]" * 50_000)
    (item,) = read_fhir_file(path)
    assert isinstance(item, Quarantined) and item.reason_code == "E031"


def test_bounds_over_every_input_above() -> None:
    """Run after the three fuzz tests (file order); alone, it runs a short seeded batch first."""
    alone = STATS.tried < 100
    if alone:
        test_mutants_of_the_fhir_examples()
    summary = STATS.publish()
    # the seeded mutants plus the 1,500 documents and 500 exports drawn from scratch
    assert alone or STATS.tried >= SEEDED + 2000, f"hypothesis ran {STATS.tried} inputs"
    median = statistics.median(STATS.times)
    assert median <= MEDIAN_SECONDS, f"median {median * 1000:.1f} ms per input"
    worst = summary["memory_per_message"]["tracemalloc_peak_worst_bytes"]
    assert worst <= PEAK_BYTES, f"an input peaked at {worst / 2**20:.1f} MiB"
