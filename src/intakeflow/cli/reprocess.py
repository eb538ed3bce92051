"""``intakeflow reprocess``: re-queue failed or quarantined messages, or stage them under a
new pipeline version. Prints counts as JSON on stdout, and one catalogue line per kind of
message that could not be re-run on stderr; never message text or identifiers."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

from intakeflow.errors import E, IntakeflowError


def _iso(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an ISO 8601 time, e.g. 2024-03-05T00:00:00+00:00") from None


def add_reprocess_parser(sub: Any) -> None:
    """Register the ``reprocess`` subcommand on ``build_parser``'s subparsers."""
    sp = sub.add_parser("reprocess", help="re-run failed/quarantined messages, or stage them under a new version")
    sp.add_argument("--dsn", required=True, help="PostgreSQL connection string of the staging store")
    sp.add_argument("--schema", default="intakeflow", help="store schema")
    which = sp.add_mutually_exclusive_group(required=True)
    which.add_argument("--ids", type=int, nargs="+", metavar="ID", help="message ids (store row ids)")
    which.add_argument("--run-id", help="messages staged by this run")
    which.add_argument("--since", type=_iso, help="period start (inclusive); needs --until")
    sp.add_argument("--until", type=_iso, help="period end (exclusive)")
    sp.add_argument("--period-field", choices=("received", "staged"), default="received",
                    help="which time the period applies to (default: when the source received it)")
    sp.add_argument("--version", help="only messages of this pipeline version (with --run-id or a period)")
    sp.add_argument("--new-version", help="stage copies under this pipeline version instead of re-queueing")
    sp.set_defaults(func=cmd_reprocess)


def cmd_reprocess(args: argparse.Namespace) -> int:
    from intakeflow.store import ReprocessSelection, Store

    selection = ReprocessSelection(
        ids=tuple(args.ids or ()), run_id=args.run_id, since=args.since, until=args.until,
        period_field=args.period_field, pipeline_version=args.version,
    )
    store = Store(args.dsn, schema=args.schema, pipeline_version=args.new_version or "any")
    try:
        counts = store.reprocess(selection, args.new_version)
    except IntakeflowError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps(counts.as_dict(), sort_keys=True))
    for code, n in sorted(counts.not_requeueable.items()):
        print(_catalogue(code).format(count=n), file=sys.stderr)
    return 0


def _catalogue(code: str) -> E:
    return next(e for e in E if e.name.startswith(f"{code}_"))
