"""``intakeflow errors [CODE] [--json]``: the error catalogue (code, title, action) for the
people who meet a code in the quarantine table, a log line or a metric. Imports only the
catalogue: no model runtime, no Airflow."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from intakeflow.errors import E, lookup


def add_errors_parser(sub: Any) -> None:
    """Register the ``errors`` subcommand on ``build_parser``'s subparsers."""
    sp = sub.add_parser("errors", help="list the error codes with their title and what to do about them")
    sp.add_argument("code", nargs="?", metavar="CODE", help="one code, e.g. E022 (default: all)")
    sp.add_argument("--json", action="store_true",
                    help='a JSON list of {"code", "title", "action", "message"} objects (message: the template)')
    sp.set_defaults(func=cmd_errors)


def cmd_errors(args: argparse.Namespace) -> int:
    if args.code is None:
        entries = list(E)
    else:
        entry = lookup(args.code)
        if entry is None:
            print(f"intakeflow errors: unknown error code {args.code!r} (run 'intakeflow errors' for the list)",
                  file=sys.stderr)
            return 2
        entries = [entry]
    if args.json:
        print(json.dumps([{"code": e.code_id, "title": e.title, "action": e.action, "message": e.value} for e in entries],
                         indent=2))
    elif args.code is not None:
        e = entries[0]
        print(f"{e.code_id}  {e.title}\nmessage: {e.value}\naction:  {e.action}")
    else:
        print(format_table(entries))
    return 0


def format_table(entries: list[E]) -> str:
    """One line per code: code, title and action in columns (the action is not wrapped)."""
    width = max(len("title"), *(len(e.title) for e in entries))
    lines = [f"{'code':<6}{'title':<{width}}  action"]
    lines += [f"{e.code_id:<6}{e.title:<{width}}  {e.action}" for e in entries]
    return "\n".join(lines)
