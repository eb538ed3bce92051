"""``intakeflow recognizers [NAME] [--json] [--site-formats FILE]``: the built-in recognizers
with their version, named patterns and cue phrases, as a deployment configured them: what
the ``recognizers`` section of a site-formats file can override
(:mod:`intakeflow.pipeline.recognizers.site_formats`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from intakeflow.errors import IntakeflowError
from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS
from intakeflow.pipeline.recognizers.base import Recognizer
from intakeflow.pipeline.recognizers.site_formats import load_site_formats


def add_recognizers_parser(sub: Any) -> None:
    """Register the ``recognizers`` subcommand on ``build_parser``'s subparsers."""
    sp = sub.add_parser("recognizers", help="list the built-in recognizers, their named patterns and cue phrases")
    sp.add_argument("name", nargs="?", help="one recognizer, e.g. member_id (default: all)")
    sp.add_argument("--json", action="store_true", help="one JSON list of {name, version, enabled, patterns, context}")
    sp.add_argument("--site-formats", metavar="FILE", help="show them as this file configures them")
    sp.set_defaults(func=cmd_recognizers)


def _entry(name: str, rec: Recognizer | None) -> dict[str, Any]:
    default = ALL_RECOGNIZERS[name]
    shown = rec or default
    return {
        "name": name,
        "version": default.VERSION,
        "enabled": rec is not None,
        "overridden": rec is not None and rec.overridden,
        "patterns": {n: p.pattern for n, p in shown.pat.items()},
        "context": list(shown.context),
    }


def cmd_recognizers(args: argparse.Namespace) -> int:
    try:
        site = load_site_formats(args.site_formats)
    except IntakeflowError as exc:
        print(exc, file=sys.stderr)
        return 2
    configured = {r.NAME: r for r in site.builtins} if site.builtins is not None else dict(ALL_RECOGNIZERS)
    names = sorted(ALL_RECOGNIZERS)
    if args.name is not None:
        if args.name not in ALL_RECOGNIZERS:
            print(f"intakeflow recognizers: no recognizer {args.name!r} (run 'intakeflow recognizers')", file=sys.stderr)
            return 2
        names = [args.name]
    entries = [_entry(n, configured.get(n)) for n in names]
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for e in entries:
        state = "off" if not e["enabled"] else ("overridden" if e["overridden"] else "built-in")
        print(f"{e['name']} {e['version']} ({state})")
        print(f"  patterns: {', '.join(e['patterns']) or '-'}")
        print(f"  context:  {', '.join(e['context']) or '-'}")
    return 0
