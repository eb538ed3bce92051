"""The detection value type and the recognizer contract (Presidio style).

Every recognizer is a class with ``NAME``, ``VERSION``, ``PATTERNS`` (compiled regexes)
and ``CONTEXT`` (cue phrases from :mod:`intakeflow.recognizers.cues`) as class constants
and an ``analyze(text)`` method returning :class:`Detection` objects.

Scores follow one convention that :mod:`intakeflow.merge` relies on: a detection whose
checksum or strict format check passed carries ``validated=True`` and
``score == VALIDATED_SCORE``; every other detection scores strictly below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

#: Score of a detection whose checksum / format validation passed.
VALIDATED_SCORE = 1.0
#: A cue phrase directly before the value ("MRN: 8472301").
CUE_NEAR_SCORE = 0.85
#: Format match without checksum and without a cue (weakest kept evidence).
FORMAT_SCORE = 0.7
#: A strong-looking value a few words after its cue in the same sentence.
CUE_FAR_SCORE = 0.5


@dataclass(frozen=True)
class Detection:
    """One recognizer hit on ``text[start:end]``.

    ``phi_label`` / ``insurance_label`` name the span in the PHI and insurance answers
    (either may be ``None``; both ``None`` marks an exclusion mask such as a clinician's
    NPI, which suppresses weaker overlapping detections and is never emitted).
    """

    start: int
    end: int
    phi_label: str | None
    insurance_label: str | None
    score: float
    recognizer: str
    validated: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start


class Recognizer:
    """Base class: subclasses set the constants and implement :meth:`analyze`."""

    NAME: ClassVar[str] = "base"
    VERSION: ClassVar[str] = "0.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = ()
    CONTEXT: ClassVar[tuple[str, ...]] = ()

    def analyze(self, text: str) -> list[Detection]:
        raise NotImplementedError

    def _det(
        self,
        start: int,
        end: int,
        phi: str | None,
        insurance: str | None = None,
        *,
        validated: bool = False,
        score: float | None = None,
    ) -> Detection:
        if score is None:
            score = VALIDATED_SCORE if validated else FORMAT_SCORE
        elif not validated:
            score = min(score, CUE_NEAR_SCORE)
        return Detection(start, end, phi, insurance, score, self.NAME, validated)


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check over a string of decimal digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def digits_only(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())
