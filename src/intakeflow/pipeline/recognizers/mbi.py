"""Medicare Beneficiary Identifiers (11 characters, CMS position rules) -> HEALTH_PLAN + MEMBER_ID.

Positions 1 digit 1-9; 2, 5, 8, 9 letters; 3, 6 letter or digit; 4, 7, 10, 11 digits.
Letters exclude S, L, O, I, B, Z. Written plain or as ``1EG4-TE5-MK73``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection, Recognizer

_L = "[AC-HJKMNP-RT-Y]"
_A = "[AC-HJKMNP-RT-Y0-9]"
MBI_RE = re.compile(rf"(?<![A-Za-z0-9-])[1-9]{_L}{_A}\d(-?){_L}{_A}\d\1{_L}{_L}\d\d(?![A-Za-z0-9-])")


class MbiRecognizer(Recognizer):
    NAME: ClassVar[str] = "mbi"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (MBI_RE,)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("mbi",)
    CONTEXT: ClassVar[tuple[str, ...]] = ("medicare number", "medicare id", "mbi", "beneficiary id")

    def analyze(self, text: str) -> list[Detection]:
        return [self._det(m.start(), m.end(), "HEALTH_PLAN", "MEMBER_ID", validated=True) for m in self.pat["mbi"].finditer(text)]
