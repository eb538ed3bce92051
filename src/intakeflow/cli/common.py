"""What the ``intakeflow`` commands share: argparse types and the usage-error line (a leaf
module: the command modules import it, and it imports none of them)."""

from __future__ import annotations

import argparse
import sys


def positive_int(value: str) -> int:
    """An argparse type: an integer of at least 1."""
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def usage_error(command: str, problem: str) -> int:
    """``intakeflow COMMAND: problem`` on stderr and exit status 2, as argparse does for a bad
    option (a path that does not exist, say; never message text)."""
    print(f"intakeflow {command}: {problem}", file=sys.stderr)
    return 2
