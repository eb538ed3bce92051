"""Filters: expected traffic without text is recorded as ``filtered``, not quarantined.

On a real HL7 v2 feed most messages are ADT (admissions, transfers, updates) and carry no
free text; quarantining them (E022) would bury the broken inputs among the expected ones and
answer every ADT with AE. A rule names the message types (``ADT`` for every ADT event,
``ADT^A08`` for one) whose messages *without text* are filtered. A message with text is
never filtered: it always reaches the pipeline. Quarantine stays for what is broken.

The rules are set per source (a feed that sends ORM orders without text, another whose ADT
messages should be looked at) in a JSON file, the way site formats are declared::

    {"filters": [{"name": "orders-without-text", "message_types": ["ORM", "OML^O21"]}],
     "defaults": true}

``defaults`` (true when left out) keeps :data:`DEFAULT_HL7_FILTERS` after the file's rules;
``{"filters": [], "defaults": false}`` filters nothing, so every message without text is
quarantined (E022). Load with :func:`load_filters` (``StageHl7ArchiveOperator(filters=...)``,
``intakeflow stage hl7 --filters FILE``, ``intakeflow mllp-listen --filters FILE``, or
``INTAKEFLOW_FILTERS``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intakeflow.errors import E, IntakeflowError

ENV_VAR = "INTAKEFLOW_FILTERS"
#: MSH-9 as written in a rule: a message code (``ADT``) or code and trigger event (``ADT^A08``)
_MESSAGE_TYPE = re.compile(r"[A-Z0-9]{3}(\^[A-Z0-9]{3})?")
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,62}")


@dataclass(frozen=True)
class FilterRule:
    """Messages of these types that carry no text are filtered under ``name``."""

    name: str
    message_types: tuple[str, ...]

    def matches(self, message_type: str) -> bool:
        code = message_type.split("^", 1)[0]
        return any(t == message_type or ("^" not in t and t == code) for t in self.message_types)


#: what a hospital's HL7 v2 feed carries without text by design: patient administration,
#: scheduling notifications, acknowledgements and master-file updates
DEFAULT_HL7_FILTERS: tuple[FilterRule, ...] = (
    FilterRule("adt-without-text", ("ADT",)),
    FilterRule("siu-without-text", ("SIU",)),
    FilterRule("ack-without-text", ("ACK",)),
    FilterRule("mfn-without-text", ("MFN",)),
)


def rule_for(message_type: str | None, rules: Sequence[FilterRule]) -> FilterRule | None:
    """The first rule matching ``message_type`` (MSH-9 as ``CODE^EVENT``), if any."""
    if not message_type:
        return None
    return next((r for r in rules if r.matches(message_type)), None)


def filters_from_json(obj: Any) -> tuple[FilterRule, ...]:
    """The rules a filter file declares (see the module docstring); E050 when malformed.
    Errors name keys and positions only: a rule file holds no message data, but stays
    quiet all the same."""
    if not isinstance(obj, dict) or not isinstance(obj.get("filters"), list):
        raise IntakeflowError(E.E050_CONFIG, why="filter rules must be an object with a 'filters' list")
    if set(obj) - {"filters", "defaults"}:
        raise IntakeflowError(E.E050_CONFIG, why="filter rules file has keys other than filters and defaults")
    defaults = obj.get("defaults", True)
    if not isinstance(defaults, bool):
        raise IntakeflowError(E.E050_CONFIG, why="filter rules 'defaults' must be true or false")
    rules: list[FilterRule] = []
    for i, entry in enumerate(obj["filters"]):
        if not isinstance(entry, dict) or set(entry) != {"name", "message_types"}:
            raise IntakeflowError(E.E050_CONFIG, why=f"filter rule {i} needs exactly 'name' and 'message_types'")
        name, types = entry["name"], entry["message_types"]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise IntakeflowError(E.E050_CONFIG, why=f"filter rule {i}: name must be lower-case letters, digits, '.-_'")
        if not isinstance(types, list) or not types or not all(
            isinstance(t, str) and _MESSAGE_TYPE.fullmatch(t) for t in types
        ):
            raise IntakeflowError(E.E050_CONFIG, why=f"filter rule {i}: message_types must list codes like ADT or ADT^A08")
        if name in {r.name for r in rules}:
            raise IntakeflowError(E.E050_CONFIG, why=f"filter rule {i}: name {name!r} is used twice")
        rules.append(FilterRule(name, tuple(types)))
    return tuple(rules) + (DEFAULT_HL7_FILTERS if defaults else ())


def load_filters(path: str | Path | None = None) -> tuple[FilterRule, ...]:
    """Rules from ``path``, else from the file ``INTAKEFLOW_FILTERS`` names, else the defaults."""
    where = path or os.environ.get(ENV_VAR)
    if not where:
        return DEFAULT_HL7_FILTERS
    try:
        obj = json.loads(Path(where).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntakeflowError(E.E050_CONFIG, why=f"filter rules file unreadable ({type(exc).__name__})") from None
    return filters_from_json(obj)
