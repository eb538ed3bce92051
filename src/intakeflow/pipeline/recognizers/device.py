"""Device serial numbers and identifiers after a serial / device cue ("S/N: PX-88123")."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class DeviceRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "device"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("DEVICE")
    CUE_LABEL: ClassVar[str] = "DEVICE"
    PHI_LABEL: ClassVar[str | None] = "DEVICE"
    INSURANCE_LABEL: ClassVar[str | None] = None
    MIN_ALNUM: ClassVar[int] = 4
