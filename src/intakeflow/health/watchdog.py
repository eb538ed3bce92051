"""One watchdog round, Airflow-free: run the checks, record what fired or resolved, and tell
each notifier what it has not been told yet.

Notifiers come in as ``senders``: a name (as in the settings) -> a callable that delivers one
:class:`~intakeflow.health.message.AlertMessage` or raises. The provider builds them from
Airflow notifiers (``intakeflow.provider.notifications``); tests pass their own. A sender
that raises stops that notifier for this round (its alerts stay pending and go out at the
next round) and is reported under E125; the other notifiers go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg

from intakeflow.errors import E
from intakeflow.health.checks import Evaluation, run_checks
from intakeflow.health.config import AlertConfig
from intakeflow.health.message import AlertMessage, render
from intakeflow.health.state import Alert, Transition, mark_notified, pending, record

log = logging.getLogger("intakeflow.health")

Sender = Callable[[Alert, AlertMessage], None]


@dataclass
class WatchdogOutcome:
    """What one round did: the evaluation, the alerts that fired or resolved now, how many
    messages each notifier was sent, and the notifiers that failed (name -> exception kind)."""

    evaluation: Evaluation
    transitions: list[Transition]
    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, Any]:
        """Counts only (XCom, logs): checks, firing, fired and resolved now, sent and failed."""
        return {
            "checks": len(self.evaluation.results),
            "firing": len(self.evaluation.firing),
            "fired": sum(1 for t in self.transitions if t.change == "fired"),
            "resolved": sum(1 for t in self.transitions if t.change == "resolved"),
            "sent": sum(self.sent.values()),
            "notifiers_failed": len(self.failed),
            "firing_codes": sorted({r.code for r in self.evaluation.firing}),
        }


def deliver(
    conn: psycopg.Connection[Any], schema: str, config: AlertConfig, senders: Mapping[str, Sender]
) -> tuple[dict[str, int], dict[str, str]]:
    """Send every pending alert to every notifier; returns (sent per notifier, failures)."""
    sent: dict[str, int] = {}
    failed: dict[str, str] = {}
    for name, send in senders.items():
        sent[name] = 0
        for alert in pending(conn, schema, name):
            message = render(alert, schema=schema, page_url=config.page_url)
            try:
                send(alert, message)
            except Exception as exc:  # noqa: BLE001 - any notifier's failure: keep it pending, tell the others
                failed[name] = type(exc).__name__
                log.error("%s", E.E125_NOTIFIER_FAILED.format(name=name, kind=type(exc).__name__))
                break
            if mark_notified(conn, schema, alert.key, name, alert.state):
                sent[name] += 1
    return sent, failed


def run_watchdog(
    conn: psycopg.Connection[Any], schema: str, config: AlertConfig, senders: Mapping[str, Sender]
) -> WatchdogOutcome:
    """One round on ``conn`` (autocommit: each step commits on its own, so what fired is
    recorded even if a notifier fails afterwards)."""
    evaluation = run_checks(conn, schema, config)
    transitions = record(conn, schema, evaluation, config)
    for t in transitions:
        log.info("alert %s %s", t.key, t.change)
    outcome = WatchdogOutcome(evaluation, transitions)
    outcome.sent, outcome.failed = deliver(conn, schema, config, senders)
    return outcome


def connect(dsn: str, **kwargs: Any) -> psycopg.Connection[Any]:
    """An autocommit connection, as the health functions expect."""
    return psycopg.connect(dsn, autocommit=True, **kwargs)
