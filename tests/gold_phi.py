"""Where the demo data's gold PHI strings occur in a page, told apart from chance matches.

A gold string of four or five characters ("1-20", "4780", "Mary") also occurs by chance
inside what a page generates itself: ``2027-01-20 08:00:00 UTC`` holds "1-20", and a FHIR
resource id the server assigned at random (``…6c91-20d4…``, ``…-4780-…``) holds either.
A leak shows a value as the message had it, so the check looks for it that way:

- a short value must stand on its own where the text had it on its own (no letter or digit
  right before or after it); longer values are matched anywhere, chance does not make them;
- the random ids the FHIR server issued for the message (read from the store, UUIDs only)
  are taken out of the page first: no value of the message's text can be inside one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

#: values of up to this many characters are matched as whole tokens only
SHORT = 5
#: shorter ones ("45", "Al") occur in any page's figures and words: not searched
MIN_LEN = 4
#: what a FHIR server-assigned id looks like (sekmet and HAPI assign UUIDs)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Gold:
    """A gold PHI value and whether its text had a letter or digit right before / after it."""

    value: str
    label: str
    glued_before: bool = False
    glued_after: bool = False

    def pattern(self) -> re.Pattern[str]:
        forms = "|".join(re.escape(f) for f in dict.fromkeys((self.value, escape(self.value))))
        if len(self.value) > SHORT:
            return re.compile(f"(?:{forms})")
        before = "" if self.glued_before else r"(?<![^\W_])"
        after = "" if self.glued_after else r"(?![^\W_])"
        return re.compile(f"{before}(?:{forms}){after}")


def gold_of(rows: Iterable[Mapping[str, Any]]) -> list[Gold]:
    """The searchable gold values of generator rows (``models.generator.generate``)."""
    out = []
    for row in rows:
        text = str(row["text"])
        for span in row["phi"]:
            start, end = int(span["start"]), int(span["end"])
            value = text[start:end]
            if len(value) >= MIN_LEN:
                out.append(Gold(value, str(span["label"]), text[start - 1:start].isalnum(), text[end:end + 1].isalnum()))
    return out


def _without_issued_ids(page: str, issued_ids: Iterable[str]) -> str:
    for issued in issued_ids:
        if not _UUID.fullmatch(issued):
            raise ValueError("only server-assigned UUIDs are taken out of a page before the search")
        page = page.replace(issued, "[issued id]")
    return page


def gold_found(page: str, gold: Iterable[Gold], *, issued_ids: Iterable[str] = ()) -> Iterator[Gold]:
    """The gold values ``page`` shows (as written or HTML-escaped), after taking out
    ``issued_ids``: ids the FHIR server assigned to the message's resources."""
    searched = _without_issued_ids(page, issued_ids)
    return (g for g in gold if g.pattern().search(searched))
