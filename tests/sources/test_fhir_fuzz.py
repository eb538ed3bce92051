"""FHIR input of any shape ends staged or quarantined with a catalogue code, never in an
uncaught exception (hypothesis generates the documents)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intakeflow.cli.store import read_fhir_file
from intakeflow.errors import lookup
from intakeflow.results import InboundMessage, Quarantined

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
FOLDER = Path(tempfile.mkdtemp(prefix="fhir-fuzz-"))


def _check(items: list[Any]) -> None:
    for item in items:
        assert isinstance(item, InboundMessage | Quarantined)
        if isinstance(item, Quarantined):
            assert lookup(item.reason_code) is not None, item.reason_code


@settings(max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_any_json_document(doc: Any) -> None:
    path = FOLDER / "doc.json"
    path.write_text(json.dumps(doc))
    _check(list(read_fhir_file(path, statuses=None)))


@settings(max_examples=500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(DOCUMENT | st.text(max_size=20), min_size=1, max_size=5))
def test_any_ndjson_lines(lines: list[Any]) -> None:
    path = FOLDER / "export.ndjson"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines))
    _check(list(read_fhir_file(path, statuses=None)))


def test_nesting_past_the_parsers_depth_is_quarantined() -> None:
    path = FOLDER / "deep.json"
    path.write_text("[" * 50_000 + "]" * 50_000)
    (item,) = read_fhir_file(path)
    assert isinstance(item, Quarantined) and item.reason_code == "E031"
