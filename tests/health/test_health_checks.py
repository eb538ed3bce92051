"""Each health check, positive and negative, on real store states (PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from health_support import (
    age_inputs,
    claim,
    failed_writeback,
    filtered,
    heartbeat,
    process,
    quarantine_at_source,
    quarantine_in_pipeline,
    stage,
)

from intakeflow.health.checks import CheckResult, run_checks
from intakeflow.health.config import parse_config
from intakeflow.health.watchdog import connect
from intakeflow.store import Store

pytestmark = pytest.mark.integration

Scenario = Callable[[Store], object]


def _results(store: Store, doc: dict[str, Any] | None = None) -> dict[str, CheckResult]:
    with connect(store.dsn) as conn:
        evaluation = run_checks(conn, store.schema, parse_config(doc))
    return {r.key: r for r in evaluation.results}


# -- backlog (E120) ------------------------------------------------------------------------------

BACKLOG: dict[str, tuple[Scenario, bool | None, bool | None]] = {
    # (build, fires, something running)
    # queued for 20 minutes, nothing ever claimed or processed: stalled
    "old and idle": (lambda s: stage(s, "mllp", 3, age_s=1200), True, False),
    # queued for 20 minutes, but a claim a minute ago: something is running
    "old, claimed just now": (lambda s: (stage(s, "mllp", 3, age_s=1200), claim(s, "mllp", 1, age_s=60)), False, True),
    # a claim 15 minutes ago that never finished (a hung worker): nothing is running any more
    "old, claim went stale": (lambda s: (stage(s, "mllp", 3, age_s=1200), claim(s, "mllp", 1, age_s=900)), True, False),
    # queued for 20 minutes, and a result of the same source saved a minute ago: being worked off
    "old, results flowing": (lambda s: (stage(s, "mllp", 4, age_s=1200), process(s, "mllp", 1, age_s=60)), False, True),
    # a result of another source does not count for this one
    "old, other source busy": (lambda s: (stage(s, "mllp", 3, age_s=1200), stage(s, "hl7v2", 2, prefix="h"),
                                          process(s, "hl7v2", 1, age_s=5)), True, False),
    # queued for two minutes only: not yet a problem, whether or not anything runs
    "young": (lambda s: stage(s, "mllp", 3, age_s=120), False, False),
    # nothing waiting: no result at all
    "drained": (lambda s: (stage(s, "mllp", 2, age_s=1200), process(s, "mllp", 2, age_s=900)), None, None),
}


@pytest.mark.parametrize("name", list(BACKLOG))
def test_backlog(store: Store, name: str) -> None:
    build, firing, running = BACKLOG[name]
    build(store)
    result = _results(store).get("backlog:mllp")
    if firing is None:
        assert result is None
        return
    assert result is not None and result.firing is firing and result.code == "E120"
    figures: dict[str, Any] = dict(result.figures)
    assert figures["queued"] >= 2 and figures["running"] is running
    assert result.thresholds == {"backlog_age_s": 600}


def test_backlog_threshold_per_source_and_off(store: Store) -> None:
    stage(store, "mllp", 1, age_s=300)
    stage(store, "hl7v2", 1, age_s=300, prefix="h")
    results = _results(store, {"backlog_age_s": 120, "sources": {"hl7v2": {"backlog_age_s": None}}})
    assert results["backlog:mllp"].firing and "backlog:hl7v2" not in results
    assert not _results(store, {"sources": {"mllp": {"backlog_age_s": 900}}})["backlog:mllp"].firing


# -- quarantine share (E121) ---------------------------------------------------------------------


def _share(quarantined: int, ok: int, adt: int = 0, at_source: bool = True) -> Scenario:
    def build(s: Store) -> None:
        stage(s, "hl7v2", ok)
        if at_source:
            quarantine_at_source(s, "hl7v2", quarantined)
        else:
            stage(s, "hl7v2", quarantined, prefix="q")
            quarantine_in_pipeline(s, "hl7v2", quarantined)
        filtered(s, "hl7v2", adt)
    return build


SHARE: dict[str, tuple[Scenario, bool]] = {
    "half rejected at staging": (_share(10, 10), True),
    "half quarantined by the pipeline": (_share(10, 10, at_source=False), True),
    "one in twenty": (_share(1, 19), False),
    "too few inputs to judge": (_share(5, 5), False),  # min 20 inputs
    # 4 of 20 inputs to process (20 %, not above) even though 80 ADT make 4 of 100: not firing
    "at the threshold": (_share(4, 16, adt=80), False),
    # 5 of 20 to process (25 %) is high, however many filtered ADT arrived besides
    "filtered inputs are not in the share": (_share(5, 15, adt=80), True),
}


@pytest.mark.parametrize("name", list(SHARE))
def test_quarantine_share(store: Store, name: str) -> None:
    build, firing = SHARE[name]
    build(store)
    result = _results(store)["quarantine_share:hl7v2"]
    assert result.firing is firing and result.code == "E121"
    f: dict[str, Any] = dict(result.figures)
    assert f["inputs"] == f["received"] - f["filtered"]
    assert f["share"] == round(f["quarantined"] / f["inputs"], 4)


def test_quarantine_share_counts_the_window_only(store: Store) -> None:
    _share(10, 10)(store)
    age_inputs(store, "hl7v2", 7200)  # all two hours old: outside the default hour
    assert "quarantine_share:hl7v2" not in _results(store)
    result = _results(store, {"quarantine_window_s": 10800})["quarantine_share:hl7v2"]
    assert result.firing and result.figures["received"] == 20


# -- feed silent (E122) and listener down (E123) -------------------------------------------------

LISTENER: dict[str, tuple[Scenario, bool, bool]] = {
    # (build, feed_silent fires, listener_down fires)
    "alive, input a minute ago": (lambda s: (stage(s, "mllp", 1, age_s=60), heartbeat(s, "mllp", age_s=5)), False, False),
    "alive, silent for 20 minutes": (lambda s: (stage(s, "mllp", 1, age_s=1200), heartbeat(s, "mllp", age_s=5)),
                                     True, False),
    "alive, only filtered ADT lately": (lambda s: (stage(s, "mllp", 1, age_s=1200), heartbeat(s, "mllp", age_s=5),
                                                   filtered(s, "mllp", 1, age_s=30)), False, False),
    "alive, only resent duplicates lately": (lambda s: (stage(s, "mllp", 1, age_s=1200),
                                                        heartbeat(s, "mllp", age_s=5, input_age_s=30)), False, False),
    "alive, never any input": (lambda s: heartbeat(s, "mllp", age_s=5), True, False),
    # the listener is gone: listener_down fires, and feed_silent holds back (one cause, one alert)
    "heartbeat 10 minutes old": (lambda s: (stage(s, "mllp", 1, age_s=1200), heartbeat(s, "mllp", age_s=600)),
                                 False, True),
    "stopped cleanly 10 minutes ago": (lambda s: heartbeat(s, "mllp", age_s=600, stopped=True), False, True),
    # one of two instances beats: the source's listener is up
    "standby beats, old instance gone": (lambda s: (stage(s, "mllp", 1, age_s=30), heartbeat(s, "mllp", age_s=3600),
                                                    heartbeat(s, "mllp", age_s=5, instance="host-b:2575")),
                                         False, False),
}


@pytest.mark.parametrize("name", list(LISTENER))
def test_listener_checks(store: Store, name: str) -> None:
    build, silent, down = LISTENER[name]
    build(store)
    results = _results(store)
    assert results["feed_silent:mllp"].firing is silent and results["feed_silent:mllp"].code == "E122"
    assert results["listener_down:mllp"].firing is down and results["listener_down:mllp"].code == "E123"
    assert results["feed_silent:mllp"].figures["listener_down"] is down


def test_feed_sources_without_a_listener(store: Store) -> None:
    stage(store, "fhir", 1, age_s=4000)
    assert not any(key.startswith(("feed_silent", "listener_down")) for key in _results(store))  # not watched
    results = _results(store, {"feed_sources": ["fhir"], "sources": {"fhir": {"feed_silent_s": 3600}}})
    silent: dict[str, Any] = dict(results["feed_silent:fhir"].figures)
    assert results["feed_silent:fhir"].firing and silent["last_input_s"] >= 4000
    assert not _results(store, {"feed_sources": ["fhir"], "feed_silent_s": 7200})["feed_silent:fhir"].firing


# -- FHIR write-back (E124) ----------------------------------------------------------------------


def _writeback(code: str = "E034", age_s: float = 0, then: str | None = None) -> Scenario:
    def build(s: Store) -> None:
        stage(s, "fhir", 3)
        ids = process(s, "fhir", 3)
        failed_writeback(s, ids[:2], code=code, age_s=age_s)
        if then == "delivered":
            s.record_writeback({i: [] for i in ids[:2]}, delivered=ids[:2])
        elif then == "retried ok":
            from intakeflow.store import FhirWriteRecord

            s.record_writeback({i: [FhirWriteRecord("source", "Communication", "updated", "c1", "2")] for i in ids[:2]},
                               delivered=ids[:2])
        elif then == "quarantined":
            s.record_writeback({}, quarantine={i: ("E031", "E031: FHIR resource Task failed validation (x)")
                                               for i in ids[:2]})
    return build


WRITEBACK: dict[str, tuple[Scenario, bool, int]] = {
    "server unreachable just now": (_writeback("E034"), True, 2),
    "error status 5 minutes ago": (_writeback("E030", age_s=300), True, 2),
    "failed an hour ago": (_writeback("E034", age_s=3600), False, 0),
    "failed, then written on retry": (_writeback("E034", then="retried ok"), False, 0),
    # an invalid resource quarantines its message: the quarantine share tells that, not E124
    "invalid resources quarantined": (_writeback("E031", then="quarantined"), False, 0),
    "nothing written back yet": (lambda s: (stage(s, "fhir", 2), process(s, "fhir", 2)), False, 0),
}


@pytest.mark.parametrize("name", list(WRITEBACK))
def test_writeback(store: Store, name: str) -> None:
    build, firing, failed = WRITEBACK[name]
    build(store)
    result = _results(store)["writeback:fhir"]
    assert result.firing is firing and result.code == "E124" and result.figures["failed"] == failed
    if firing:
        by_code: Any = result.figures["by_code"]
        assert sum(by_code.values()) == failed
        assert result.sentence().startswith(f"E124: the last FHIR write-back of {failed} messages failed")


def test_a_null_threshold_turns_a_check_off(store: Store) -> None:
    stage(store, "mllp", 1, age_s=1200)
    heartbeat(store, "mllp", age_s=600)
    doc = {"backlog_age_s": None, "feed_silent_s": None, "listener_down_s": None, "quarantine_share": None,
           "writeback_min_failed": None}
    with connect(store.dsn) as conn:
        evaluation = run_checks(conn, store.schema, parse_config(doc))
    assert evaluation.results == [] and evaluation.evaluated == frozenset()


def test_results_carry_figures_and_codes_never_text(store: Store) -> None:
    marker = "Synthetic-Patient-Quill 4471223"
    stage(store, "mllp", 25, age_s=1200, text=marker)
    quarantine_in_pipeline(store, "mllp", 10, age_s=900)
    heartbeat(store, "mllp", age_s=600)
    results = _results(store)
    assert {r.code for r in results.values() if r.firing} == {"E120", "E121", "E123"}
    dumped = repr([r.as_json() for r in results.values()]) + " ".join(r.sentence() for r in results.values())
    assert "Quill" not in dumped and "4471223" not in dumped and "m1" not in dumped
