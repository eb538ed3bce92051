"""National Provider Identifiers: an exclusion mask, not a PHI label.

An NPI identifies a clinician, not the patient; the spec has no type for it, so it must
not surface as an MRN or account number. After an "NPI" cue, ten digits that pass the
Luhn check over ``80840`` + NPI yield a detection with both labels ``None``:
:func:`intakeflow.pipeline.recognizers.run_recognizers` uses it to drop weaker overlapping
detections and never emits it.
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection, Recognizer, luhn_ok

NPI_RE = re.compile(r"(?<!\d)\d{10}(?!\d)")
NPI_CUE_RE = re.compile(r"\b(?:npi|national\s+provider\s+(?:id|identifier|number))\b", re.IGNORECASE)
_WINDOW = 30


def npi_ok(value: str) -> bool:
    return len(value) == 10 and value.isdigit() and value[0] in "12" and luhn_ok("80840" + value)


class NpiRecognizer(Recognizer):
    NAME: ClassVar[str] = "npi"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (NPI_RE, NPI_CUE_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("npi", "npi_cue")
    CONTEXT: ClassVar[tuple[str, ...]] = ("npi", "national provider identifier", "national provider id")

    def analyze(self, text: str) -> list[Detection]:
        cues = [m.end() for m in self.pat["npi_cue"].finditer(text)]
        if not cues:
            return []
        out: list[Detection] = []
        for m in self.pat["npi"].finditer(text):
            if npi_ok(m.group()) and any(0 <= m.start() - c <= _WINDOW for c in cues):
                out.append(self._det(m.start(), m.end(), None, None, validated=True))
        return out
