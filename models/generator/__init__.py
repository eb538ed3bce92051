"""Synthetic training data for the intent + PHI + insurance model (gold format of the label spec, section 4)."""

from __future__ import annotations

from .core import generate, write_jsonl
from .stats import stats
from .validate import validate_record

__all__ = ["generate", "stats", "validate_record", "write_jsonl"]
