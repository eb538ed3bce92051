"""Typed readers for connection ``extra`` values (shared by the hooks)."""

from __future__ import annotations

from typing import Any

from intakeflow.errors import E, IntakeflowError


def extra_bool(extra: dict[str, Any], key: str, default: bool) -> bool:
    """Read a boolean that a UI form or a URI may have stored as text."""
    value = extra.get(key, default)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "no", "off"}:
        return False
    raise IntakeflowError(E.E050_CONFIG, why=f"connection extra '{key}' is not a boolean")


def extra_float(extra: dict[str, Any], key: str, default: float) -> float:
    value = extra.get(key, default)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise IntakeflowError(E.E050_CONFIG, why=f"connection extra '{key}' is not a number") from None
    if number <= 0:
        raise IntakeflowError(E.E050_CONFIG, why=f"connection extra '{key}' must be positive")
    return number
