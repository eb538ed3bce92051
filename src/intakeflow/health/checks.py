"""The health checks: each reads figures from the store and says, per subject (a source, or
``fhir`` for the write-back), whether its alert condition holds now.

========================  ======  ==========================================================
check                     code    fires when
========================  ======  ==========================================================
``backlog``               E120    a source's oldest queued message is older than
                                  ``backlog_age_s`` and no message of the source was claimed
                                  or processed for as long: queued, and nothing running
``quarantine_share``      E121    of the inputs a source received in the last
                                  ``quarantine_window_s`` (at least ``quarantine_min_inputs``;
                                  filtered inputs aside), the share quarantined is above
                                  ``quarantine_share``
``feed_silent``           E122    no input from a source for ``feed_silent_s`` (sources with a
                                  listener heartbeat, and ``feed_sources``); not while the
                                  source's listener is down (``listener_down`` says so)
``listener_down``         E123    an MLLP listener's last heartbeat is older than
                                  ``listener_down_s``
``writeback``             E124    at least ``writeback_min_failed`` messages' last FHIR
                                  write-back failed in the last ``writeback_window_s``
========================  ======  ==========================================================

A result carries its code, figures (counts, seconds, shares, catalogue codes) and the
thresholds it was held against; never message text, identifiers or patient references.
All ages are measured by the database clock (``now()`` of one transaction), so the host the
checks run on may drift without changing a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from intakeflow.errors import E
from intakeflow.health import queries as q
from intakeflow.health.config import AlertConfig, Thresholds
from intakeflow.store.channels import CHANNELS

#: every check, in the order results are reported, with its catalogue entry
CHECKS: dict[str, E] = {
    "backlog": E.E120_BACKLOG_STALLED,
    "quarantine_share": E.E121_QUARANTINE_SHARE,
    "feed_silent": E.E122_FEED_SILENT,
    "listener_down": E.E123_LISTENER_DOWN,
    "writeback": E.E124_WRITEBACK_FAILING,
}
#: the subject of the write-back check (one alert for the store's write-back)
WRITEBACK_SUBJECT = "fhir"
#: the store migration that added the tables the checks read (0005_alerts.sql)
REQUIRED_SCHEMA_VERSION = 5

Figure = int | float | bool | str | None | dict[str, int]


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one subject. ``figures`` and ``thresholds`` hold numbers,
    flags and catalogue codes only (stable keys: the CLI's JSON and the alert messages read
    them)."""

    check: str
    subject: str
    firing: bool
    figures: Mapping[str, Figure] = field(default_factory=dict)
    thresholds: Mapping[str, float | int | None] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.check}:{self.subject}"

    @property
    def entry(self) -> E:
        return CHECKS[self.check]

    @property
    def code(self) -> str:
        return self.entry.code_id

    @property
    def title(self) -> str:
        return self.entry.title

    def sentence(self) -> str:
        """The catalogue's sentence for this result, filled in with its figures."""
        return describe(self.check, self.subject, self.figures, self.thresholds)

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check, "subject": self.subject, "firing": self.firing, "code": self.code,
                "title": self.title, "figures": dict(self.figures), "thresholds": dict(self.thresholds)}


@dataclass(frozen=True)
class Evaluation:
    """All results of one run of the checks, at the database's ``checked_at``;
    ``evaluated`` names the checks that ran (a check whose thresholds are all off did not, and
    so resolves nothing)."""

    checked_at: datetime
    results: list[CheckResult]
    evaluated: frozenset[str]

    @property
    def firing(self) -> list[CheckResult]:
        return [r for r in self.results if r.firing]


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def _n(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "–" if value is None else str(value)


def describe(check: str, subject: str, figures: Mapping[str, Any], thresholds: Mapping[str, Any]) -> str:
    """The catalogue sentence of a check's result (``E120: 12 messages of source mllp wait, ...``)."""
    entry = CHECKS[check]
    f, t = figures, thresholds
    if check == "backlog":
        return entry.format(count=_n(f.get("queued")), source=subject, age=_n(f.get("oldest_queued_s")),
                            window=_n(t.get("backlog_age_s")))
    if check == "quarantine_share":
        share = f.get("share")
        limit = t.get("quarantine_share")
        return entry.format(count=_n(f.get("quarantined")), total=_n(f.get("inputs")), source=subject,
                            window=_n(t.get("quarantine_window_s")),
                            share="–" if share is None else f"{float(share) * 100:.1f}",
                            threshold="–" if limit is None else f"{float(limit) * 100:.1f}")
    if check == "feed_silent":
        age = f.get("last_input_s")
        return entry.format(source=subject, age="ever (none stored)" if age is None else f"{age} s",
                            threshold=_n(t.get("feed_silent_s")))
    if check == "listener_down":
        return entry.format(source=subject, age=_n(f.get("beat_age_s")), threshold=_n(t.get("listener_down_s")))
    codes = f.get("by_code") or {}
    listed = ", ".join(f"{code} {n}" for code, n in sorted(codes.items())) if isinstance(codes, Mapping) else ""
    return entry.format(count=_n(f.get("failed")), window=_n(t.get("writeback_window_s")), codes=listed or "no code")


# -- reading -------------------------------------------------------------------------------------


def _rows(
    conn: psycopg.Connection[Any], schema: str, query: str, params: Mapping[str, Any], *, prepare: bool | None = None
) -> list[dict[str, Any]]:
    cur = conn.execute(sql.SQL(query).format(s=sql.Identifier(schema)), dict(params), prepare=prepare)
    cols = [c.name for c in cur.description or []]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def _max(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def check_backlog(conn: psycopg.Connection[Any], schema: str, config: AlertConfig) -> list[CheckResult]:
    horizon = _max([config.defaults.backlog_age_s, *(t.backlog_age_s for t in config.sources.values())])
    if horizon is None:
        return []
    out = []
    for row in _rows(conn, schema, q.BACKLOG, {"horizon": horizon}):
        source = str(row["source"])
        limit = config.for_source(source).backlog_age_s
        if limit is None:
            continue
        oldest, idle = row["oldest_queued_s"], row["idle_s"]
        running = idle is not None and idle <= limit
        figures: dict[str, Figure] = {
            "queued": int(row["queued"]), "failed": int(row["failed"]), "claimed": int(row["claimed"]),
            "oldest_queued_s": _seconds(oldest),
            # seconds since a message of the source was last claimed or processed (None: not in the last horizon s)
            "idle_s": _seconds(idle) if idle is not None and idle <= horizon else None,
            "running": running,
        }
        firing = oldest is not None and oldest > limit and not running
        out.append(CheckResult("backlog", source, firing, figures, {"backlog_age_s": limit}))
    return out


def check_quarantine_share(
    conn: psycopg.Connection[Any], schema: str, config: AlertConfig, now: datetime
) -> list[CheckResult]:
    windows = {config.defaults.quarantine_window_s, *(t.quarantine_window_s for t in config.sources.values())}
    if config.defaults.quarantine_share is None and all(t.quarantine_share is None for t in config.sources.values()):
        return []
    by_window: dict[float, dict[str, dict[str, Any]]] = {}
    for window in sorted(windows):
        # the channel rows of the monitoring page for the period [now - window, now]
        params = {"start": now - timedelta(seconds=window), "end": now + timedelta(microseconds=1), "dag": None}
        by_window[window] = {str(r["source"]): r for r in _rows(conn, schema, CHANNELS, params)}
    sources = sorted({s for rows in by_window.values() for s in rows})
    out = []
    for source in sources:
        t: Thresholds = config.for_source(source)
        row = by_window[t.quarantine_window_s].get(source)
        if t.quarantine_share is None or row is None:
            continue
        # filtered inputs (ADT without text and the like) are expected traffic, never processed:
        # the share is of the inputs meant to be processed
        received, filtered, quarantined = int(row["received"]), int(row["filtered"]), int(row["quarantined"])
        inputs = received - filtered
        share = quarantined / inputs if inputs else None
        firing = share is not None and inputs >= t.quarantine_min_inputs and share > t.quarantine_share
        figures: dict[str, Figure] = {
            "received": received, "filtered": filtered, "inputs": inputs, "quarantined": quarantined,
            "rejected_at_staging": int(row["rejected_at_staging"]),
            "share": None if share is None else round(share, 4),
        }
        thresholds = {"quarantine_share": t.quarantine_share, "quarantine_window_s": t.quarantine_window_s,
                      "quarantine_min_inputs": t.quarantine_min_inputs}
        out.append(CheckResult("quarantine_share", source, firing, figures, thresholds))
    return out


def check_listeners(
    conn: psycopg.Connection[Any], schema: str, config: AlertConfig
) -> tuple[list[CheckResult], list[CheckResult]]:
    """``listener_down`` per source with a heartbeat, then ``feed_silent`` per source with a
    heartbeat or in ``feed_sources``."""
    beats = {str(r["source"]): r for r in _rows(conn, schema, q.HEARTBEATS, {})}
    down_results: list[CheckResult] = []
    down: set[str] = set()
    for source, row in sorted(beats.items()):
        limit = config.for_source(source).listener_down_s
        if limit is None:
            continue
        age = float(row["beat_age_s"])
        firing = age > limit
        if firing:
            down.add(source)
        figures: dict[str, Figure] = {"beat_age_s": int(age), "stopped": bool(row["stopped"]),
                                      "instances": int(row["instances"])}
        down_results.append(CheckResult("listener_down", source, firing, figures, {"listener_down_s": limit}))
    watched = sorted({*beats, *config.feed_sources})
    silent_results: list[CheckResult] = []
    for source in watched:
        limit = config.for_source(source).feed_silent_s
        if limit is None:
            continue
        # never prepared: a generic plan cannot see the source's value, and so not which index fits it
        age = _rows(conn, schema, q.LAST_INPUT, {"source": source}, prepare=False)[0]["last_input_s"]
        silent = age is None or age > limit
        figures = {"last_input_s": _seconds(age), "listener_down": source in down}
        silent_results.append(CheckResult("feed_silent", source, silent and source not in down, figures,
                                          {"feed_silent_s": limit}))
    return down_results, silent_results


def check_writeback(conn: psycopg.Connection[Any], schema: str, config: AlertConfig) -> list[CheckResult]:
    if config.writeback_min_failed is None:
        return []
    params = {"window": config.writeback_window_s}
    rows = _rows(conn, schema, q.WRITEBACK_FAILED, params)
    total = _rows(conn, schema, q.WRITEBACK_FAILED_MESSAGES, params)[0]["n"]
    failed = int(total or 0)
    figures: dict[str, Figure] = {
        "failed": failed,
        "by_code": {str(r["code"]): int(r["n"]) for r in rows},
        "last_failed_s": _seconds(min((float(r["last_failed_s"]) for r in rows), default=None)),
    }
    firing = failed > 0 and failed >= config.writeback_min_failed
    thresholds = {"writeback_window_s": config.writeback_window_s, "writeback_min_failed": config.writeback_min_failed}
    return [CheckResult("writeback", WRITEBACK_SUBJECT, firing, figures, thresholds)]


def schema_version(conn: psycopg.Connection[Any], schema: str) -> int | None:
    """The store's migration version, ``None`` when the schema has no store yet."""
    found = conn.execute("SELECT to_regclass(%s)", [sql.SQL("{}.schema_migrations").format(
        sql.Identifier(schema)).as_string(conn)]).fetchone()
    if not found or found[0] is None:
        return None
    row = conn.execute(sql.SQL("SELECT COALESCE(max(version), 0) FROM {}.schema_migrations").format(
        sql.Identifier(schema))).fetchone()
    return int(row[0]) if row else 0


def evaluated_checks(config: AlertConfig) -> frozenset[str]:
    """The checks that run under ``config``: a check is off only when its threshold is null
    everywhere (by default and for every source)."""
    every = [config.defaults, *config.sources.values()]
    on = {
        "backlog": any(t.backlog_age_s is not None for t in every),
        "quarantine_share": any(t.quarantine_share is not None for t in every),
        "feed_silent": any(t.feed_silent_s is not None for t in every),
        "listener_down": any(t.listener_down_s is not None for t in every),
        "writeback": config.writeback_min_failed is not None,
    }
    return frozenset(name for name, active in on.items() if active)


def run_checks(conn: psycopg.Connection[Any], schema: str, config: AlertConfig) -> Evaluation:
    """Every check, read in one snapshot (one read-only transaction)."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        now = _rows(conn, schema, q.NOW, {})[0]["now"]
        down, silent = check_listeners(conn, schema, config)
        results = [
            *check_backlog(conn, schema, config),
            *check_quarantine_share(conn, schema, config, now),
            *silent,
            *down,
            *check_writeback(conn, schema, config),
        ]
    on = evaluated_checks(config)
    order = list(CHECKS)
    results = [r for r in results if r.check in on]
    results.sort(key=lambda r: (order.index(r.check), r.subject))
    return Evaluation(now, results, on)
