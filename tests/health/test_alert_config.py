"""The alert settings document: defaults, per-source overrides, null turns a check off, and
mistakes refused with E050 (a misspelt threshold must not fall back to its default)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intakeflow.errors import IntakeflowError
from intakeflow.health.checks import evaluated_checks
from intakeflow.health.config import ENV, AlertConfig, Thresholds, load_config, loads, notifier_name, parse_config


def test_defaults() -> None:
    config = parse_config(None)
    assert config == AlertConfig() == loads("") == loads("  ") == load_config(environ={})
    assert config.defaults == Thresholds(backlog_age_s=600, quarantine_share=0.2, quarantine_window_s=3600,
                                         quarantine_min_inputs=20, feed_silent_s=900, listener_down_s=180)
    assert (config.writeback_window_s, config.writeback_min_failed, config.resolve_after_s) == (900, 1, 120)
    assert config.notifiers == () and evaluated_checks(config) == {"backlog", "quarantine_share", "feed_silent",
                                                                    "listener_down", "writeback"}


def test_per_source_overrides_inherit_the_document_defaults() -> None:
    config = parse_config({"backlog_age_s": 120, "sources": {"mllp:lab": {"feed_silent_s": 3600},
                                                             "hl7v2": {"backlog_age_s": None}}})
    assert config.for_source("mllp").backlog_age_s == 120  # not listed: the document's defaults
    assert config.for_source("mllp:lab") == Thresholds(backlog_age_s=120, feed_silent_s=3600)
    assert config.for_source("hl7v2").backlog_age_s is None
    assert config.as_json()["sources"] == {"hl7v2": {"backlog_age_s": None}, "mllp:lab": {"feed_silent_s": 3600}}


def test_the_document_round_trips_and_loads_from_file_and_environment(tmp_path: Path) -> None:
    doc = {"quarantine_share": 0.5, "feed_sources": ["fhir"], "notifiers": [{"type": "log"}], "page_url": "https://a/b"}
    config = parse_config(doc)
    assert parse_config(config.as_json()) == config
    path = tmp_path / "alerts.json"
    path.write_text(json.dumps(doc))
    assert load_config(path) == config == load_config(environ={ENV: json.dumps(doc)})


def test_only_one_check_on() -> None:
    off = {"backlog_age_s": None, "quarantine_share": None, "feed_silent_s": None, "writeback_min_failed": None}
    assert evaluated_checks(parse_config(off)) == {"listener_down"}
    # off by default, on for one source: the check runs (for that source)
    assert "backlog" in evaluated_checks(parse_config({**off, "sources": {"mllp": {"backlog_age_s": 60}}}))


@pytest.mark.parametrize(
    ("doc", "why"),
    [
        ({"backlog_age": 60}, "unknown key 'backlog_age'"),
        ({"sources": {"mllp": {"backlog": 60}}}, "unknown key 'backlog' in sources.mllp"),
        ({"backlog_age_s": -1}, "backlog_age_s must be a number of at least 0"),
        ({"backlog_age_s": "600"}, "backlog_age_s must be a number"),
        ({"backlog_age_s": True}, "backlog_age_s must be a number"),
        ({"quarantine_share": 20}, "quarantine_share must be a share between 0 and 1"),
        ({"quarantine_window_s": 0}, "quarantine_window_s must be above 0"),
        ({"quarantine_min_inputs": 2.5}, "quarantine_min_inputs must be a whole number"),
        ({"resolve_after_s": None}, "resolve_after_s may not be null"),
        ({"notifiers": [{"type": "pager"}]}, "notifiers[0].type must be one of"),
        ({"notifiers": [{"type": "smtp"}]}, "notifiers[0] of type smtp needs 'to'"),
        ({"notifiers": [{"type": "class"}]}, "needs 'class'"),
        ({"notifiers": [{"type": "log", "name": "x"}, {"type": "smtp", "to": "a@b", "name": "x"}]}, "same name"),
        ({"feed_sources": "mllp"}, "feed_sources must be a list"),
    ],
)
def test_mistakes_are_refused(doc: dict[str, Any], why: str) -> None:
    with pytest.raises(IntakeflowError) as refused:
        parse_config(doc)
    assert refused.value.code_id == "E050" and why in str(refused.value)


@pytest.mark.parametrize("text", ["{", "[1, 2]", "null x"])
def test_text_that_is_not_a_json_object(text: str) -> None:
    with pytest.raises(IntakeflowError, match="E050: invalid configuration: intakeflow_alerts: "):
        loads(text)


def test_notifier_names_are_stable() -> None:
    specs = ({"type": "smtp", "to": "a@b"}, {"type": "smtp", "to": "c@d"}, {"type": "log"},
             {"type": "slack", "name": "ward-channel"})
    assert [notifier_name(s, i, specs) for i, s in enumerate(specs)] == ["smtp-1", "smtp-2", "log", "ward-channel"]
    assert parse_config({"notifiers": list(specs)}).notifier_names() == ["smtp-1", "smtp-2", "log", "ward-channel"]
