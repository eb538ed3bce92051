"""Licence plates after a plate cue ("plate 8XYZ123", "tag C J K 4 4 7 1").

Plates have no checksum and look like any short code, so a cue is required. VINs have
their own validated recognizer (:mod:`intakeflow.pipeline.recognizers.vin`).
"""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, alnum_count, cue_context, plausible_id


class PlateRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "plate"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("VEHICLE")
    CUE_LABEL: ClassVar[str] = "VEHICLE"
    PHI_LABEL: ClassVar[str | None] = "VEHICLE"
    MIN_ALNUM: ClassVar[int] = 4
    FAR_CHARS: ClassVar[int] = 30

    def accept(self, value: str) -> bool:
        return plausible_id(value, self.MIN_ALNUM) and alnum_count(value) <= 17
