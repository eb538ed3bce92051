"""The provider's senders over Airflow notifiers: any ``BaseNotifier`` by class path, the
entry's own templates rendered with the task context while the alert text never is, a
notifier whose provider is missing fails alone (E125)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from airflow.sdk import BaseNotifier
from health_support import stage

from intakeflow.health.config import parse_config
from intakeflow.health.message import render
from intakeflow.health.state import Alert
from intakeflow.health.watchdog import connect, run_watchdog
from intakeflow.provider.notifications.alerts import LogNotifier, build_sender, build_senders
from intakeflow.store import Store


class CapturingNotifier(BaseNotifier):
    """A notifier of a site's own: keeps what it would send."""

    template_fields = ("channel", "body", "title")
    sent: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, channel: str, body: str = "", title: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channel, self.body, self.title = channel, body, title

    def notify(self, context: Any) -> None:
        CapturingNotifier.sent.append({"channel": self.channel, "body": self.body, "title": self.title})


def _alert(subject: str = "mllp") -> Alert:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    return Alert(f"backlog:{subject}", "backlog", subject, "E120", "firing", {"queued": 7, "oldest_queued_s": 900},
                 {"backlog_age_s": 600}, now, None, now, 1, {})


@pytest.fixture(autouse=True)
def _clear() -> None:
    CapturingNotifier.sent.clear()


def test_any_notifier_by_class_path_with_its_own_templates_but_never_the_alerts() -> None:
    spec = {"type": "class", "class": f"{__name__}.CapturingNotifier", "message_arg": "body", "subject_arg": "title",
            "channel": "#intake-{{ params.site }}"}
    alert = _alert(subject="mllp:{{ 7 * 7 }}")  # template syntax in the alert: sent as it is
    send = build_sender(spec, {"params": {"site": "north"}, "run_id": "r1"})
    send(alert, render(alert, schema="intakeflow"))
    (sent,) = CapturingNotifier.sent
    assert sent["channel"] == "#intake-north"
    assert sent["title"] == "[intakeflow] FIRING E120 Backlog not processed: mllp:{{ 7 * 7 }} (intakeflow)"
    assert "E120: 7 messages of source mllp:{{ 7 * 7 }} wait" in sent["body"] and "49" not in sent["body"]


def test_the_log_notifier_writes_the_alert_to_the_task_log(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    alert = _alert()
    with caplog.at_level(logging.WARNING):
        build_sender({"type": "log"}, {})(alert, render(alert, schema="s1"))
    # Airflow's logging goes to stdout or to the logging handlers, depending on its set-up
    logged = caplog.text + capsys.readouterr().out
    assert "[intakeflow] FIRING E120 Backlog not processed: mllp (s1)" in logged
    assert LogNotifier.template_fields == ("text", "subject")


def test_a_missing_provider_fails_that_notifier_only(store: Store) -> None:
    """Slack's provider is not installed here: its sender fails at the first alert (E125),
    the other notifier sends, and the Slack alert stays pending for the next round."""
    stage(store, "mllp", 2, age_s=1200)
    config = parse_config({"notifiers": [{"type": "slack_webhook", "slack_webhook_conn_id": "slack"},
                                         {"type": "class", "class": f"{__name__}.CapturingNotifier",
                                          "message_arg": "body", "channel": "#x"}]})
    senders = build_senders(config.notifier_names(), config.notifiers, {})
    with connect(store.dsn) as conn:
        outcome = run_watchdog(conn, store.schema, config, senders)
        again = run_watchdog(conn, store.schema, config, senders)
    assert outcome.failed == {"slack_webhook": "ModuleNotFoundError"} and outcome.sent == {"slack_webhook": 0, "class": 1}
    assert again.failed == {"slack_webhook": "ModuleNotFoundError"} and again.sent == {"slack_webhook": 0, "class": 0}
    assert len(CapturingNotifier.sent) == 1
