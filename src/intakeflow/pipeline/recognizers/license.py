"""Licence and certificate numbers (driver's licence, professional licence, DEA number).

DEA registration numbers carry a check digit: two letters, seven digits, and the last
digit equals the last digit of ``(d1 + d3 + d5) + 2 * (d2 + d4 + d6)``. A DEA-shaped value
whose check digit holds is validated, also without a licence cue when "DEA" occurs in
the message.

A number with a care worker's credential in front of it is a licence or certificate number,
and the credential settles its type (validated, so a model span calling it an account or
member ID does not keep its type). Joined to the number the credential is part of the value
as printed ("CNA-448120", "CNA-TX-0088213"); set apart by a space it is a cue word and stays
outside, like "MRN" in the spec's "MRN 8472301" ("HHA 2207814" -> "2207814"). The credential
alone is no cue, since "CNA" is also a job title.
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection
from intakeflow.pipeline.recognizers.cue_anchor import NEAR_RE, VALUE_RE, CueAnchoredRecognizer, cue_context

DEA_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z9]\d{7}(?![A-Za-z0-9])")
CREDENTIAL_RE = re.compile(
    r"(?<![A-Za-z0-9-])(?:CNA|HHA|LPN|LVN|EMT|LCSW|RN|PTA|COTA|CMA)"
    r"(?:(?:-[A-Z]{2})?[-.]\d{5,9}|\x20(?P<number>\d{5,9}))(?![A-Za-z0-9]|-\d)"
)
_DEA_WORD = re.compile(r"\bDEA\b", re.IGNORECASE)


def dea_ok(value: str) -> bool:
    if not DEA_RE.fullmatch(value):
        return False
    d = [int(c) for c in value[2:]]
    return (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]


class LicenseRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "license"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (NEAR_RE, VALUE_RE, DEA_RE, CREDENTIAL_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("near", "value", "dea", "credential")
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("LICENSE")
    CUE_LABEL: ClassVar[str] = "LICENSE"
    PHI_LABEL: ClassVar[str | None] = "LICENSE"
    MIN_ALNUM: ClassVar[int] = 5

    def detection(self, text: str, start: int, end: int, score: float) -> Detection:
        if dea_ok(text[start:end]):
            return self._det(start, end, "LICENSE", validated=True)
        return super().detection(text, start, end, score)

    def analyze(self, text: str) -> list[Detection]:
        out = super().analyze(text)
        for m in self.pat["credential"].finditer(text):
            start, end = m.span("number") if m.group("number") else m.span()
            # the whole printed value replaces a cue-anchored piece of it ("cert # CNA-448120")
            out = [d for d in out if not (d.start < end and start < d.end)]
            out.append(self._det(start, end, "LICENSE", validated=True))
        if _DEA_WORD.search(text):
            seen = {(d.start, d.end) for d in out}
            for m in self.pat["dea"].finditer(text):
                if m.span() not in seen and dea_ok(m.group()):
                    out.append(self._det(m.start(), m.end(), "LICENSE", validated=True))
        return out
