"""Filters: expected traffic without text is recorded as ``filtered``, not quarantined.

On a real HL7 v2 feed most messages are ADT (admissions, transfers, updates) and carry no
free text; quarantining them (E022) would bury the broken inputs among the expected ones and
answer every ADT with AE. A rule names the message types (``ADT`` for every ADT event,
``ADT^A08`` for one) whose messages *without text* are filtered. A message with text is
never filtered: it always reaches the pipeline. Quarantine stays for what is broken.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
