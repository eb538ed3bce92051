"""Shared constants and helpers of the anonymizer tests (synthetic values only)."""

from __future__ import annotations

import re

from intakeflow.spans import Span

SECRET = b"test-secret-0123456789abcdef"
KEY = bytes(range(32))


def span_of(text: str, piece: str, label: str, nth: int = 0) -> Span:
    starts = [m.start() for m in re.finditer(re.escape(piece), text)]
    start = starts[nth]
    return Span(start, start + len(piece), label)
