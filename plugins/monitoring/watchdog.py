"""The watchdog panel of the dashboard: per source, what waits and whether anything is
processing it ("backlog: 12 messages queued, oldest 14 min, nothing running"), the alerts
firing now, and when the watchdog last checked.

The backlog is read live (``intakeflow.health.checks.check_backlog``: the same query and
verdict as the watchdog's E120), with the thresholds the watchdog last ran with (stored with
its evaluation; the defaults before it ever ran). The alerts are the store's ``alerts``
rows as the watchdog DAG left them. Kept apart from ``html`` and ``queries`` so the rest of
the page can change without touching it: ``app`` reads :func:`read` and ``html`` places the
markup of :func:`panel`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

import psycopg

from intakeflow.errors import title_of
from intakeflow.health.checks import REQUIRED_SCHEMA_VERSION, CheckResult, check_backlog, schema_version
from intakeflow.health.config import AlertConfig, parse_config
from intakeflow.health.state import Alert, alerts, last_run
from intakeflow.plugins.monitoring.html import _fmt
from intakeflow.plugins.monitoring.html import age as _age

#: a last check older than this means the watchdog DAG is not running (paused, failing)
STALE_AFTER_S = 300.0
WATCHDOG_DAG = "intakeflow_watchdog"


@dataclass(frozen=True)
class WatchdogView:
    """``backlog``: one result per source with messages queued (``firing``: E120 holds now);
    ``alerts``: firing alert rows; ``checked_at`` / ``age_s``: the watchdog's last check
    (``None``: never, or the store predates migration 5)."""

    backlog: list[CheckResult] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    checked_at: datetime | None = None
    age_s: float | None = None
    migrated: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "backlog": [r.as_json() for r in self.backlog],
            "alerts": [{"key": a.key, "check": a.check, "subject": a.subject, "code": a.code, "state": a.state,
                        "fired_at": a.fired_at, "figures": a.figures, "thresholds": a.thresholds} for a in self.alerts],
            "checked_at": self.checked_at, "age_s": self.age_s, "migrated": self.migrated,
        }


def read(conn: psycopg.Connection[Any], schema: str) -> WatchdogView:
    """The panel's figures (in the request's transaction: read-only queries)."""
    with conn.transaction():
        version = schema_version(conn, schema) or 0
        if version < REQUIRED_SCHEMA_VERSION:
            return WatchdogView(backlog=check_backlog(conn, schema, AlertConfig()), migrated=False)
        run = last_run(conn, schema)
        try:
            config = parse_config(run.thresholds) if run.thresholds else AlertConfig()
        except Exception:  # noqa: BLE001 - thresholds of another intakeflow version: the defaults still say something
            config = AlertConfig()
        return WatchdogView(backlog=check_backlog(conn, schema, config), alerts=alerts(conn, schema, firing_only=True),
                            checked_at=run.checked_at, age_s=run.age_s)


def _seconds(value: Any) -> float | None:
    """A figure that holds seconds (checks report them as numbers, or None when unknown)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _backlog_line(r: CheckResult) -> str:
    f = r.figures
    if f.get("running"):
        doing = f"running (last claim or result {_age(_seconds(f.get('idle_s')))} ago)"
    else:
        doing = "<b>nothing running</b>"
    queued = int(f.get("queued") or 0)  # type: ignore[arg-type]
    failed = int(f.get("failed") or 0)  # type: ignore[arg-type]
    also = f", {failed:,} failed (retried)" if failed else ""
    return (f'<li data-backlog="{escape(r.subject)}" data-firing="{str(r.firing).lower()}">backlog '
            f'<code>{escape(r.subject)}</code>: <b data-figure="queued">{queued:,}</b> message{"s" if queued != 1 else ""} '
            f'queued{also}, oldest <b data-figure="oldest">{escape(_age(_seconds(f.get("oldest_queued_s"))))}</b>, {doing}</li>')


def _alert_line(a: Alert) -> str:
    sentence = a.result().sentence().split(": ", 1)[1]
    return (f'<li data-alert="{escape(a.key)}"><b>{escape(a.code)} {escape(title_of(a.code))}</b> '
            f"(<code>{escape(a.subject)}</code>), firing since {_fmt(a.fired_at)}: "
            f"{escape(sentence)}</li>")


def panel(view: WatchdogView | None) -> str:
    """The panel's markup ("" without a view): red while an alert fires or a backlog has
    nothing running past its threshold, else one line on the watchdog's last check."""
    if view is None:
        return ""
    if not view.migrated:
        when = "The watchdog's tables are not in this store yet (the next run of any intakeflow DAG adds them)."
    elif view.checked_at is None:
        when = (f"The watchdog has not checked this store yet: unpause the DAG <code>{WATCHDOG_DAG}</code> for "
                "alerts.")
    elif (view.age_s or 0) > STALE_AFTER_S:
        when = (f"The watchdog last checked {escape(_age(view.age_s))} ago: is the DAG <code>{WATCHDOG_DAG}</code> "
                "paused or failing? Until it runs, nothing below is alerted.")
    else:
        when = f"Last check {escape(_age(view.age_s))} ago."
    stalled = [r for r in view.backlog if r.firing]
    bad = bool(view.alerts or stalled) or (view.age_s or 0) > STALE_AFTER_S
    if not bad and not view.backlog:
        quiet = "no alert firing, nothing queued" if view.checked_at is not None else "nothing queued"
        return f'<p class="note" data-panel="watchdog">Watchdog: {quiet}. {when}</p>'
    heading = (f"{len(view.alerts)} alert{'s' if len(view.alerts) != 1 else ''} firing" if view.alerts
               else "no alert firing")
    alert_list = f'<ul class="alerts">{"".join(_alert_line(a) for a in view.alerts)}</ul>' if view.alerts else ""
    backlog = (f'<ul class="backlog">{"".join(_backlog_line(r) for r in view.backlog)}</ul>' if view.backlog else "")
    return (f'<div class="panel{" bad" if bad else ""}" data-panel="watchdog"><b>Watchdog: {heading}</b>. {when}'
            f"{alert_list}{backlog}"
            '<p class="note">Now, all sources (the period and DAG above do not apply). <code>intakeflow health</code> '
            "prints the same checks; README \"Alerts\" says what fires and how to set the thresholds.</p></div>")
