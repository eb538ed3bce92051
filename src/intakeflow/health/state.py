"""Alert state in the store: an alert fires once when its condition starts and resolves once
when it has cleared, however often the checks run; each notifier is told each change once.

One row per alert key (``check:subject``) in ``{schema}.alerts`` (migration 0005):

- a firing result whose row is missing or resolved -> the row becomes ``firing`` (``fired``);
- a firing result whose row fires already -> figures updated, nothing to tell;
- a row that fires while its check ran and did not find it firing (the result says clear,
  or the subject is gone: a backlog that drained has no result) -> ``clear_since`` is set,
  and once the condition has been clear for ``resolve_after_s`` the row becomes
  ``resolved`` (``resolved``); firing again meanwhile clears ``clear_since`` (no flapping);
- a row of a check that did not run (turned off) is left alone.

Delivery is tracked per notifier (``notified``: name -> the state it was last told), so a
notifier that failed is tried again at the next check and one that succeeded is never told
twice: :func:`pending` lists what a notifier has not been told yet, :func:`mark_notified`
records a delivery (only if the alert is still in the state that was sent). A resolve
whose firing was never told to a notifier is not sent to it. Everything for one check runs
in one transaction under an advisory lock per schema, so two watchdogs at once cannot both
fire the same alert; repeating :func:`record` with the same results changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from intakeflow.health.checks import CheckResult, Evaluation
from intakeflow.health.config import AlertConfig

State = Literal["firing", "resolved"]


@dataclass(frozen=True)
class Alert:
    """One alert row: what the page shows and a notification carries (codes and figures)."""

    key: str
    check: str
    subject: str
    code: str
    state: State
    figures: dict[str, Any]
    thresholds: dict[str, Any]
    fired_at: datetime
    resolved_at: datetime | None
    last_checked_at: datetime
    fire_count: int
    notified: dict[str, str]

    def result(self) -> CheckResult:
        return CheckResult(self.check, self.subject, self.state == "firing", self.figures, self.thresholds)


@dataclass(frozen=True)
class Transition:
    """An alert that changed state in this check: ``fired`` or ``resolved``."""

    key: str
    change: Literal["fired", "resolved"]


_SELECT = """
SELECT key, check_name, subject, code, state, figures, thresholds, fired_at, clear_since, resolved_at,
       last_checked_at, fire_count, notified
FROM {s}.alerts
"""

_FIRE = """
INSERT INTO {s}.alerts (key, check_name, subject, code, state, figures, thresholds, fired_at, last_checked_at)
VALUES (%(key)s, %(check)s, %(subject)s, %(code)s, 'firing', %(figures)s, %(thresholds)s, %(now)s, %(now)s)
ON CONFLICT (key) DO UPDATE
SET state = 'firing', code = EXCLUDED.code, figures = EXCLUDED.figures, thresholds = EXCLUDED.thresholds,
    fired_at = EXCLUDED.fired_at, clear_since = NULL, resolved_at = NULL, last_checked_at = EXCLUDED.last_checked_at,
    fire_count = {s}.alerts.fire_count + 1
"""

_STILL_FIRING = """
UPDATE {s}.alerts SET figures = %(figures)s, thresholds = %(thresholds)s, clear_since = NULL, last_checked_at = %(now)s
WHERE key = %(key)s
"""

_CLEARING = """
UPDATE {s}.alerts
SET clear_since = COALESCE(clear_since, %(now)s), last_checked_at = %(now)s,
    figures = COALESCE(%(figures)s, figures)
WHERE key = %(key)s
RETURNING clear_since
"""

_RESOLVE = "UPDATE {s}.alerts SET state = 'resolved', resolved_at = %(now)s WHERE key = %(key)s"

_MARK = """
UPDATE {s}.alerts SET notified = notified || jsonb_build_object(%(name)s::text, %(state)s::text)
WHERE key = %(key)s AND state = %(state)s
"""

_SAVE_RUN = """
INSERT INTO {s}.watchdog (id, checked_at, thresholds, results, notifiers)
VALUES (1, %(now)s, %(thresholds)s, %(results)s, %(notifiers)s)
ON CONFLICT (id) DO UPDATE
SET checked_at = EXCLUDED.checked_at, thresholds = EXCLUDED.thresholds, results = EXCLUDED.results,
    notifiers = EXCLUDED.notifiers
"""


def _q(schema: str, text: str) -> sql.Composed:
    return sql.SQL(text).format(s=sql.Identifier(schema))


def _lock_key(schema: str) -> int:
    return int.from_bytes(hashlib.sha256(f"intakeflow:alerts:{schema}".encode()).digest()[:8], "big", signed=True)


def _alert(row: Sequence[Any]) -> Alert:
    (key, check, subject, code, state, figures, thresholds, fired_at, _clear, resolved_at, checked, count,
     notified) = row
    return Alert(str(key), str(check), str(subject), str(code), state, dict(figures or {}), dict(thresholds or {}),
                 fired_at, resolved_at, checked, int(count), {str(k): str(v) for k, v in (notified or {}).items()})


def record(
    conn: psycopg.Connection[Any], schema: str, evaluation: Evaluation, config: AlertConfig
) -> list[Transition]:
    """Apply one evaluation to the alert rows and save it as the watchdog's last run; returns
    the alerts that fired or resolved now. Idempotent: the same evaluation again changes no
    state."""
    now = evaluation.checked_at
    changes: list[Transition] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(schema),))
        rows = {str(r[0]): r for r in conn.execute(_q(schema, _SELECT + " FOR UPDATE")).fetchall()}
        seen: set[str] = set()
        for res in evaluation.results:
            seen.add(res.key)
            row = rows.get(res.key)
            params = {"key": res.key, "check": res.check, "subject": res.subject, "code": res.code,
                      "figures": Jsonb(dict(res.figures)), "thresholds": Jsonb(dict(res.thresholds)), "now": now}
            if res.firing:
                if row is None or row[4] != "firing":
                    conn.execute(_q(schema, _FIRE), params)
                    changes.append(Transition(res.key, "fired"))
                else:
                    conn.execute(_q(schema, _STILL_FIRING), params)
            elif row is not None and row[4] == "firing" and _clear(conn, schema, res.key, params, now, config):
                changes.append(Transition(res.key, "resolved"))
        for key, row in rows.items():
            # a firing alert whose check ran and reported nothing for its subject (a backlog that drained)
            if key not in seen and row[4] == "firing" and str(row[1]) in evaluation.evaluated:
                params = {"key": key, "figures": None, "now": now}
                if _clear(conn, schema, key, params, now, config):
                    changes.append(Transition(key, "resolved"))
        conn.execute(_q(schema, _SAVE_RUN), {
            "now": now, "thresholds": Jsonb(config.thresholds_json()),
            "results": Jsonb([r.as_json() for r in evaluation.results]), "notifiers": Jsonb(config.notifier_names()),
        })
    return changes


def _clear(
    conn: psycopg.Connection[Any], schema: str, key: str, params: dict[str, Any], now: datetime, config: AlertConfig
) -> bool:
    """Note that a firing alert's condition is clear; resolve it once it has been clear for
    ``resolve_after_s``. True when it resolved now."""
    row = conn.execute(_q(schema, _CLEARING), params).fetchone()
    since = row[0] if row else now
    if (now - since).total_seconds() >= config.resolve_after_s:
        conn.execute(_q(schema, _RESOLVE), {"key": key, "now": now})
        return True
    return False


def alerts(conn: psycopg.Connection[Any], schema: str, *, firing_only: bool = False) -> list[Alert]:
    """Alert rows, firing first, then by when they fired."""
    where = " WHERE state = 'firing'" if firing_only else ""
    query = _SELECT + where + " ORDER BY state = 'firing' DESC, fired_at DESC, key"
    return [_alert(r) for r in conn.execute(_q(schema, query)).fetchall()]


def pending(conn: psycopg.Connection[Any], schema: str, notifier: str) -> list[Alert]:
    """The alerts ``notifier`` has not been told in their current state, oldest change first.
    A resolved alert it was never told firing is marked done instead (nothing to resolve)."""
    out = []
    for alert in sorted(alerts(conn, schema), key=lambda a: (a.resolved_at or a.fired_at, a.key)):
        told = alert.notified.get(notifier)
        if told == alert.state:
            continue
        if alert.state == "resolved" and told is None:
            mark_notified(conn, schema, alert.key, notifier, "resolved")
            continue
        out.append(alert)
    return out


def mark_notified(conn: psycopg.Connection[Any], schema: str, key: str, notifier: str, state: State) -> bool:
    """Record that ``notifier`` was told ``key`` is ``state``; False (nothing recorded) when
    the alert changed state meanwhile, so the new state is still pending."""
    with conn.transaction():
        return conn.execute(_q(schema, _MARK), {"key": key, "name": notifier, "state": state}).rowcount == 1


@dataclass(frozen=True)
class WatchdogRun:
    """The watchdog's last evaluation as stored (``None`` fields: it never ran)."""

    checked_at: datetime | None
    age_s: float | None
    thresholds: dict[str, Any]
    results: list[dict[str, Any]]
    notifiers: list[str]


def last_run(conn: psycopg.Connection[Any], schema: str) -> WatchdogRun:
    row = conn.execute(_q(schema, "SELECT checked_at, EXTRACT(EPOCH FROM now() - checked_at)::float8, thresholds, "
                                  "results, notifiers FROM {s}.watchdog WHERE id = 1")).fetchone()
    if row is None:
        return WatchdogRun(None, None, {}, [], [])
    return WatchdogRun(row[0], float(row[1]), dict(row[2] or {}), list(row[3] or []), list(row[4] or []))


def forget(conn: psycopg.Connection[Any], schema: str, keys: Iterable[str]) -> int:
    """Delete alert rows (tests, or an operator clearing an alert of a retired source)."""
    with conn.transaction():
        return conn.execute(_q(schema, "DELETE FROM {s}.alerts WHERE key = ANY(%(keys)s)"), {"keys": list(keys)}).rowcount
