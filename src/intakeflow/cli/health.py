"""``intakeflow health``: the watchdog's checks from a shell (cron, Nagios, a load balancer's
probe), without Airflow and without changing anything in the store.

Thresholds come from ``--config FILE`` or ``$AIRFLOW_VAR_INTAKEFLOW_ALERTS`` (the same JSON
document as the watchdog DAG's Variable ``intakeflow_alerts``), else the defaults
(``--print-config`` shows the document in force). Output: one line per result, or with
``--json`` one object with stable keys::

    {"schema": "intakeflow", "checked_at": "2026-12-06T20:15:00+00:00", "firing": 1,
     "checks": [{"check": "backlog", "subject": "mllp", "firing": true, "code": "E120",
                 "title": "Backlog not processed", "figures": {...}, "thresholds": {...}}, ...],
     "watchdog": {"checked_at": ..., "age_s": 42.0, "firing": ["backlog:mllp"]}}

``watchdog`` is what the watchdog DAG last recorded (``null`` fields: it never ran). Counts,
ages, source names and catalogue codes only. Exit status: 0 no alert condition holds, 3 at
least one does, 1 the store cannot be read (one coded line on stderr), 2 a usage or
settings error.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from typing import Any

from intakeflow.errors import E, IntakeflowError

EXIT_FIRING = 3


def add_health_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from intakeflow.cli.store import DEFAULT_SCHEMA, DSN_ENV, EMBEDDED_DIR, _schema_name
    from intakeflow.health.config import ENV

    sp = sub.add_parser("health", help="the watchdog's checks: backlog, quarantine share, silent feeds and "
                                       "listeners, failing write-back; exit 3 when an alert condition holds")
    sp.add_argument("--dsn", default=None,
                    help=f"PostgreSQL DSN of the store (default: ${DSN_ENV}, else the embedded PostgreSQL under "
                         f"{EMBEDDED_DIR})")
    sp.add_argument("--schema", type=_schema_name, default=DEFAULT_SCHEMA, help="schema of the store")
    sp.add_argument("--config", metavar="FILE", default=None,
                    help=f"the alert settings as JSON (default: ${ENV}, the watchdog's Variable in its "
                         "environment form; else the defaults)")
    sp.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    sp.add_argument("--print-config", action="store_true", help="print the settings in force as JSON and exit")
    sp.set_defaults(func=cmd_health)


def cmd_health(args: argparse.Namespace) -> int:
    from intakeflow.cli.store import Unreachable, _guarded, _open_store
    from intakeflow.health.config import load_config

    try:
        config = load_config(args.config)
    except IntakeflowError as exc:
        print(f"intakeflow health: {exc}", file=sys.stderr)
        return 2
    if args.print_config:
        print(json.dumps(config.as_json(), indent=2))
        return 0
    with ExitStack() as stack:
        try:
            store = _open_store(args, "any", stack, migrate=False)
            report = _guarded(lambda: _report(store.dsn, store.schema, config))
        except Unreachable as exc:
            print(exc.line, file=sys.stderr)
            return 1
    if isinstance(report, str):
        print(report, file=sys.stderr)
        return 1
    print(json.dumps(report, default=str) if args.json else format_report(report))
    return EXIT_FIRING if report["firing"] else 0


def _report(dsn: str, schema: str, config: Any) -> dict[str, Any] | str:
    from intakeflow.health.checks import REQUIRED_SCHEMA_VERSION, run_checks, schema_version
    from intakeflow.health.state import alerts, last_run
    from intakeflow.health.watchdog import connect

    with connect(dsn, connect_timeout=10) as conn:
        version = schema_version(conn, schema)
        if version is None or version < REQUIRED_SCHEMA_VERSION:
            found = "does not exist" if version is None else f"is at migration {version}"
            return E.E050_CONFIG.format(
                why=f"store schema {schema} {found}; the checks need migration {REQUIRED_SCHEMA_VERSION}: run any "
                    "intakeflow DAG (its migrate_store task) or intakeflow stage once")
        evaluation = run_checks(conn, schema, config)
        run = last_run(conn, schema)
        recorded = [a.key for a in alerts(conn, schema, firing_only=True)]
    return {
        "schema": schema,
        "checked_at": evaluation.checked_at.isoformat(),
        "firing": len(evaluation.firing),
        "checks": [r.as_json() for r in evaluation.results],
        "watchdog": {"checked_at": run.checked_at.isoformat() if run.checked_at else None, "age_s": run.age_s,
                     "firing": recorded},
    }


def format_report(report: dict[str, Any]) -> str:
    # imported here: the checks need psycopg, the model commands of this CLI do not
    from intakeflow.health.checks import describe
    from intakeflow.health.message import figure_text

    lines = [f"store {report['schema']}, checked {report['checked_at']}: "
             f"{report['firing']} alert condition{'s' if report['firing'] != 1 else ''} holding", ""]
    if not report["checks"]:
        lines.append("  nothing to check (no backlog, no listener, no feed source configured)")
    for r in report["checks"]:
        if r["firing"]:
            what = describe(r["check"], r["subject"], r["figures"], r["thresholds"]).split(": ", 1)[1]
        else:
            what = "; ".join(f"{k} {figure_text(v)}" for k, v in r["figures"].items())
            least = r["thresholds"].get("quarantine_min_inputs")
            if r["check"] == "quarantine_share" and least and (r["figures"].get("inputs") or 0) < least:
                # a share over the threshold on a handful of inputs is not an alert: say why
                what += f" (not judged under {least} inputs)"
        lines.append(f"  {'FIRING' if r['firing'] else 'ok':<7}{r['code']}  {r['check']:<17}{r['subject']:<16}{what}")
    wd = report["watchdog"]
    lines.append("")
    if wd["checked_at"] is None:
        lines.append("watchdog: never ran in this store (unpause the DAG intakeflow_watchdog)")
    else:
        lines.append(f"watchdog: last check {int(wd['age_s'])} s ago; alerts it has firing: "
                     + (", ".join(wd["firing"]) or "none"))
    return "\n".join(lines)

