"""Medical record / chart numbers after an MRN cue ("MRN: 8472301", "chart # 00-4471")."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class MrnRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "mrn"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("MRN")
    CUE_LABEL: ClassVar[str] = "MRN"
    PHI_LABEL: ClassVar[str | None] = "MRN"
    INSURANCE_LABEL: ClassVar[str | None] = None
    MIN_ALNUM: ClassVar[int] = 4
