"""Filter rules set per source from a JSON file (issue 11): which message types without text
are recorded as filtered instead of quarantined, for the archive reader, the MLLP intake,
``intakeflow stage hl7 --filters`` and ``StageHl7ArchiveOperator(filters=...)``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intakeflow.cli import main
from intakeflow.errors import IntakeflowError
from intakeflow.mllp.intake import parse_message
from intakeflow.results import Filtered, InboundMessage, Quarantined
from intakeflow.sources.filters import DEFAULT_HL7_FILTERS, ENV_VAR, FilterRule, filters_from_json, load_filters
from intakeflow.sources.hl7_files import read_file

ORDERS = {"filters": [{"name": "orders-without-text", "message_types": ["ORM", "OML^O21"]}]}


def _hl7(msh9: str, ctrl: str, text: str | None = None) -> str:
    segments = [f"MSH|^~\\&|A|FAC|B|C|20240301120000||{msh9}|{ctrl}|P|2.5.1", "PID|1||T1^^^M^MR||Doe^Jane"]
    if text:
        segments.append(f"NTE|1||{text}")
    return "\r".join(segments) + "\r"


def _write(tmp_path: Path, obj: Any, name: str = "filters.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return path


def _kinds(items: list[Any]) -> list[str]:
    return [{InboundMessage: "message", Quarantined: "quarantined", Filtered: "filtered"}[type(i)] for i in items]


def test_file_rules_come_first_and_defaults_stay() -> None:
    rules = filters_from_json(ORDERS)
    assert rules[0] == FilterRule("orders-without-text", ("ORM", "OML^O21")) and rules[1:] == DEFAULT_HL7_FILTERS
    assert filters_from_json({**ORDERS, "defaults": False}) == (rules[0],)
    assert filters_from_json({"filters": [], "defaults": False}) == ()


@pytest.mark.parametrize(("obj", "why"), [
    ([], "object with a 'filters' list"),
    ({"filters": {}}, "object with a 'filters' list"),
    ({"filters": [], "extra": 1}, "keys other than"),
    ({"filters": [], "defaults": "no"}, "true or false"),
    ({"filters": [{"name": "x"}]}, "exactly 'name' and 'message_types'"),
    ({"filters": [{"name": "Bad Name", "message_types": ["ORM"]}]}, "name must be"),
    ({"filters": [{"name": "x", "message_types": []}]}, "message_types must list"),
    ({"filters": [{"name": "x", "message_types": ["orm"]}]}, "message_types must list"),
    ({"filters": [{"name": "x", "message_types": ["ORM^"]}]}, "message_types must list"),
    ({"filters": [{"name": "x", "message_types": ["ORM"]}, {"name": "x", "message_types": ["OML"]}]}, "used twice"),
])
def test_malformed_rules_are_e050(obj: Any, why: str) -> None:
    with pytest.raises(IntakeflowError, match="E050") as raised:
        filters_from_json(obj)
    assert why in str(raised.value)


def test_load_from_path_env_or_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert load_filters() == DEFAULT_HL7_FILTERS
    path = _write(tmp_path, {**ORDERS, "defaults": False})
    assert [r.name for r in load_filters(path)] == ["orders-without-text"]
    monkeypatch.setenv(ENV_VAR, str(path))
    assert [r.name for r in load_filters()] == ["orders-without-text"]
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(IntakeflowError, match="E050: invalid configuration: filter rules file unreadable"):
        load_filters(tmp_path / "broken.json")
    with pytest.raises(IntakeflowError, match="unreadable"):
        load_filters(tmp_path / "missing.json")


def test_archive_reader_applies_the_rules(tmp_path: Path) -> None:
    feed = tmp_path / "feed.hl7"
    feed.write_text(_hl7("ORM^O01^ORM_O01", "O1") + _hl7("ADT^A08^ADT_A01", "A1") + _hl7("ORM^O01^ORM_O01", "O2", "call me"))
    assert _kinds(list(read_file(feed, tmp_path))) == ["quarantined", "filtered", "message"]  # built-in rules
    orders = list(read_file(feed, tmp_path, filters_from_json(ORDERS)))
    assert _kinds(orders) == ["filtered", "filtered", "message"]  # a message with text is never filtered
    assert isinstance(orders[0], Filtered) and orders[0].rule == "orders-without-text"
    strict = list(read_file(feed, tmp_path, filters_from_json({"filters": [], "defaults": False})))
    assert _kinds(strict) == ["quarantined", "quarantined", "message"]
    assert {q.reason_code for q in strict if isinstance(q, Quarantined)} == {"E022"}


def test_mllp_intake_parses_with_the_rules() -> None:
    raw = _hl7("OML^O21^OML_O21", "L1").encode()
    assert isinstance(parse_message(raw, "mllp"), Quarantined)
    out = parse_message(raw, "mllp:lab", filters_from_json(ORDERS))
    assert isinstance(out, Filtered) and (out.rule, out.source) == ("orders-without-text", "mllp:lab")


def test_stage_cli_takes_a_rules_file(tmp_path: Path, pg_dsn: str, store_schema: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.hl7").write_text(_hl7("ORM^O01^ORM_O01", "O1") + _hl7("ORU^R01^ORU_R01", "R1", "refill please"))
    rules = _write(tmp_path, ORDERS)
    store = ["--dsn", pg_dsn, "--schema", store_schema, "--quiet"]
    assert main(["stage", "hl7", str(folder), *store, "--filters", str(rules)]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["staged"], counts["filtered"], counts["quarantined"]) == (1, 1, 0)
    (tmp_path / "bad.json").write_text(json.dumps({"filters": "ORM"}))
    assert main(["stage", "hl7", str(folder), *store, "--filters", str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "E050" in err and "Traceback" not in err


def test_stage_operator_takes_a_rules_file(tmp_path: Path, pg_conn_id: str, store_schema: str, fake_model: str) -> None:
    from types import SimpleNamespace

    from intakeflow.provider.operators.hl7 import StageHl7ArchiveOperator
    from intakeflow.provider.operators.store import MigrateStoreOperator

    context: Any = {"run_id": "r", "ti": SimpleNamespace(task_id="s", map_index=-1),
                    "data_interval_start": None, "data_interval_end": None}
    (tmp_path / "day").mkdir()
    (tmp_path / "day" / "a.hl7").write_text(_hl7("ORM^O01^ORM_O01", "O1") + _hl7("ADT^A08^ADT_A01", "A1"))
    MigrateStoreOperator(task_id="m", postgres_conn_id=pg_conn_id, store_schema=store_schema).execute(context)
    common: dict[str, Any] = {"archive_root": str(tmp_path), "files": ["day/a.hl7"], "postgres_conn_id": pg_conn_id,
              "store_schema": store_schema, "model_path": fake_model}
    only_orders = _write(tmp_path, {**ORDERS, "defaults": False})
    out = StageHl7ArchiveOperator(task_id="s", filters=str(only_orders), **common).execute(context)
    assert (out["filtered"], out["quarantined"]) == (1, 1)  # the ORM filtered, the ADT now quarantined (E022)
    with pytest.raises(IntakeflowError, match="E050"):
        StageHl7ArchiveOperator(task_id="s", filters=str(tmp_path / "missing.json"), **common).execute(context)
