"""The detection value type and the recognizer contract (Presidio style).

Every recognizer is a class with ``NAME``, ``VERSION``, ``PATTERNS`` (compiled regexes,
named by ``PATTERN_NAMES``) and ``CONTEXT`` (cue phrases, from
:mod:`intakeflow.pipeline.recognizers.cues` where the recognizer is cue-anchored) as class constants
and an ``analyze(text)`` method returning :class:`Detection` objects. ``analyze`` reads
the instance's ``pat`` and ``context``, which default to the class constants and which a
deployment may override (``Recognizer(patterns={...}, context=[...])``, or the
``recognizers`` section of the site-formats file, :mod:`intakeflow.pipeline.recognizers.site_formats`):
a site whose member IDs are announced by "plan no." adds that cue; a site that writes SSNs
without dashes in a form of its own swaps the pattern. Checksums and other validation
still apply to whatever a replaced pattern proposes.

Scores follow one convention that :mod:`intakeflow.pipeline.merge` relies on: a detection whose
checksum or strict format check passed carries ``validated=True`` and
``score == VALIDATED_SCORE``; every other detection scores strictly below it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
    #: one name per pattern, in order: the keys a deployment overrides patterns by
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ()
    CONTEXT: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, *, patterns: Mapping[str, str | re.Pattern[str]] | None = None, context: Sequence[str] | None = None
    ) -> None:
        """:param patterns: replacement regexes by pattern name (``PATTERN_NAMES``)
        :param context: replacement cue phrases (lower-cased)
        """
        unknown = sorted(set(patterns or ()) - set(self.PATTERN_NAMES))
        if unknown:
            raise ValueError(f"recognizer {self.NAME!r} has no pattern {unknown[0]!r}")
        given = dict(patterns or {})
        #: the patterns in use, by name
        self.pat: dict[str, re.Pattern[str]] = {
            name: re.compile(given[name]) if name in given else default
            for name, default in zip(self.PATTERN_NAMES, self.PATTERNS, strict=True)
        }
        #: the cue phrases in use
        self.context: tuple[str, ...] = self.CONTEXT if context is None else tuple(c.lower().strip() for c in context)

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(self.pat.values())

    @property
    def overridden(self) -> bool:
        """True when a deployment replaced a pattern or the cue phrases."""
        return self.context != self.CONTEXT or self.patterns != self.PATTERNS

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
