"""Vehicle identification numbers: 17 characters (no I, O, Q) with the position-9 check digit."""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection, Recognizer
from intakeflow.pipeline.recognizers.cue_anchor import cue_context

VIN_RE = re.compile(r"(?<![A-Za-z0-9])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9])")
_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}  # fmt: skip
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_ok(vin: str) -> bool:
    if not VIN_RE.fullmatch(vin):
        return False
    total = sum(_TRANSLIT[c] * w for c, w in zip(vin, _WEIGHTS, strict=True))
    check = total % 11
    return vin[8] == ("X" if check == 10 else str(check))


class VinRecognizer(Recognizer):
    NAME: ClassVar[str] = "vin"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (VIN_RE,)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("vin",)
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("VEHICLE")

    def analyze(self, text: str) -> list[Detection]:
        out: list[Detection] = []
        for m in self.pat["vin"].finditer(text):
            v = m.group()
            if v.isdigit() or v.isalpha():
                continue
            if vin_ok(v):
                out.append(self._det(m.start(), m.end(), "VEHICLE", validated=True))
        return out
