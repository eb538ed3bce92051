"""De-duplication: an alert fires once when its condition starts and resolves once when it
clears, however often the checks run, and each notifier is told each change once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from health_support import process, stage

from intakeflow.health.checks import CHECKS, CheckResult, Evaluation
from intakeflow.health.config import parse_config
from intakeflow.health.message import AlertMessage
from intakeflow.health.state import Alert, alerts, last_run, pending, record
from intakeflow.health.watchdog import connect, deliver, run_watchdog
from intakeflow.store import Store

pytestmark = pytest.mark.integration

T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
CONFIG = parse_config({"resolve_after_s": 120})


def _eval(minute: float, *results: CheckResult, checks: tuple[str, ...] = tuple(CHECKS)) -> Evaluation:
    return Evaluation(T0 + timedelta(minutes=minute), list(results), frozenset(checks))


def _backlog(firing: bool, queued: int = 5) -> CheckResult:
    return CheckResult("backlog", "mllp", firing, {"queued": queued, "oldest_queued_s": 900, "running": not firing},
                       {"backlog_age_s": 600})


def _silent(firing: bool) -> CheckResult:
    return CheckResult("feed_silent", "mllp:lab", firing, {"last_input_s": 1000}, {"feed_silent_s": 900})


def _changes(store: Store, evaluation: Evaluation, config: Any = CONFIG) -> list[tuple[str, str]]:
    with connect(store.dsn) as conn:
        return [(t.key, t.change) for t in record(conn, store.schema, evaluation, config)]


def _state(store: Store) -> dict[str, Alert]:
    with connect(store.dsn) as conn:
        return {a.key: a for a in alerts(conn, store.schema)}


def test_fires_once_then_resolves_once(store: Store) -> None:
    assert _changes(store, _eval(0, _backlog(False))) == []  # fine: nothing recorded
    assert _state(store) == {}
    assert _changes(store, _eval(1, _backlog(True))) == [("backlog:mllp", "fired")]
    for minute in range(2, 10):  # still firing every minute: nothing new
        assert _changes(store, _eval(minute, _backlog(True, queued=5 + minute))) == []
    row = _state(store)["backlog:mllp"]
    assert row.state == "firing" and row.fired_at == T0 + timedelta(minutes=1) and row.fire_count == 1
    assert row.figures["queued"] == 14  # figures follow the latest check
    # clear: resolves only once it has been clear for resolve_after_s (120 s)
    assert _changes(store, _eval(10, _backlog(False))) == []
    assert _changes(store, _eval(11, _backlog(False))) == []
    assert _changes(store, _eval(12, _backlog(False))) == [("backlog:mllp", "resolved")]
    assert _changes(store, _eval(13, _backlog(False))) == []
    row = _state(store)["backlog:mllp"]
    assert row.state == "resolved" and row.resolved_at == T0 + timedelta(minutes=12)


def test_a_flap_inside_resolve_after_is_one_alert(store: Store) -> None:
    assert _changes(store, _eval(0, _backlog(True))) == [("backlog:mllp", "fired")]
    assert _changes(store, _eval(1, _backlog(False))) == []
    assert _changes(store, _eval(2, _backlog(True))) == []  # back before it resolved: the same alert
    assert _changes(store, _eval(3, _backlog(False))) == []
    assert _changes(store, _eval(4, _backlog(False))) == []
    assert _changes(store, _eval(5, _backlog(False))) == [("backlog:mllp", "resolved")]
    assert _changes(store, _eval(6, _backlog(True))) == [("backlog:mllp", "fired")]  # a new episode
    assert _state(store)["backlog:mllp"].fire_count == 2


def test_a_subject_without_result_resolves_but_a_check_turned_off_does_not(store: Store) -> None:
    assert _changes(store, _eval(0, _backlog(True), _silent(True))) == [("backlog:mllp", "fired"),
                                                                        ("feed_silent:mllp:lab", "fired")]
    instant = parse_config({"resolve_after_s": 0})
    # the backlog drained (no result for mllp any more); feed_silent was turned off, so it did not run
    changes = _changes(store, _eval(1, checks=("backlog",)), instant)
    assert changes == [("backlog:mllp", "resolved")]
    assert _state(store)["feed_silent:mllp:lab"].state == "firing"


def test_recording_the_same_evaluation_twice_changes_nothing(store: Store) -> None:
    evaluation = _eval(0, _backlog(True), _silent(True))
    assert len(_changes(store, evaluation)) == 2
    before = _state(store)
    assert _changes(store, evaluation) == []
    assert _state(store) == before


def test_last_run_is_stored_for_the_page(store: Store) -> None:
    _changes(store, _eval(0, _backlog(True)))
    with connect(store.dsn) as conn:
        run = last_run(conn, store.schema)
    assert run.checked_at == T0 and run.results[0]["code"] == "E120"
    assert run.thresholds["backlog_age_s"] == 600 and run.thresholds["resolve_after_s"] == 120
    assert parse_config(run.thresholds) == parse_config({"resolve_after_s": 120})  # the page reads them back


class Recorder:
    """A notifier: keeps what it was sent, or fails while ``down``."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.down = False

    def __call__(self, alert: Alert, message: AlertMessage) -> None:
        if self.down:
            raise ConnectionRefusedError("no route")
        self.sent.append((alert.key, alert.state))


def test_each_notifier_is_told_each_change_once_and_a_failed_one_again(store: Store) -> None:
    mail, chat = Recorder(), Recorder()
    senders = {"smtp": mail, "slack": chat}
    chat.down = True
    _changes(store, _eval(0, _backlog(True)))
    with connect(store.dsn) as conn:
        sent, failed = deliver(conn, store.schema, CONFIG, senders)
        assert sent == {"smtp": 1, "slack": 0} and failed == {"slack": "ConnectionRefusedError"}
        assert deliver(conn, store.schema, CONFIG, senders)[0] == {"smtp": 0, "slack": 0}  # mail not sent twice
        chat.down = False
        assert deliver(conn, store.schema, CONFIG, senders) == ({"smtp": 0, "slack": 1}, {})
        assert pending(conn, store.schema, "smtp") == pending(conn, store.schema, "slack") == []
    assert mail.sent == chat.sent == [("backlog:mllp", "firing")]
    _changes(store, _eval(1, _backlog(False)), parse_config({"resolve_after_s": 0}))
    with connect(store.dsn) as conn:
        deliver(conn, store.schema, CONFIG, senders)
        deliver(conn, store.schema, CONFIG, senders)
        # a notifier added later is told what fires now, never a resolve of what it never heard of
        late = Recorder()
        assert deliver(conn, store.schema, CONFIG, {"pager": late}) == ({"pager": 0}, {})
    assert mail.sent == chat.sent == [("backlog:mllp", "firing"), ("backlog:mllp", "resolved")]
    assert late.sent == []


def test_fired_and_resolved_before_any_notifier_worked_sends_nothing(store: Store) -> None:
    down = Recorder()
    down.down = True
    _changes(store, _eval(0, _backlog(True)))
    with connect(store.dsn) as conn:
        deliver(conn, store.schema, CONFIG, {"smtp": down})
    _changes(store, _eval(1, _backlog(False)), parse_config({"resolve_after_s": 0}))
    down.down = False
    with connect(store.dsn) as conn:
        assert deliver(conn, store.schema, CONFIG, {"smtp": down}) == ({"smtp": 0}, {})
    assert down.sent == []


def test_a_watchdog_round_on_a_real_store(store: Store) -> None:
    """Checks, state and notifications together, three rounds: fire, hold, resolve."""
    stage(store, "mllp", 3, age_s=1200)
    mail = Recorder()
    config = parse_config({"resolve_after_s": 0, "notifiers": [{"type": "log"}]})
    with connect(store.dsn) as conn:
        first = run_watchdog(conn, store.schema, config, {"log": mail})
        second = run_watchdog(conn, store.schema, config, {"log": mail})
    assert first.counts() == {"checks": 3, "firing": 1, "fired": 1, "resolved": 0, "sent": 1, "notifiers_failed": 0,
                              "firing_codes": ["E120"]}
    assert second.counts()["fired"] == 0 and second.counts()["sent"] == 0
    process(store, "mllp", 3)
    with connect(store.dsn) as conn:
        third = run_watchdog(conn, store.schema, config, {"log": mail})
    assert third.counts()["resolved"] == 1 and mail.sent == [("backlog:mllp", "firing"), ("backlog:mllp", "resolved")]
