"""Identifiers of biometric records ("voiceprint ID VP-99812"); the bare words are never tagged."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class BiometricRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "biometric"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("BIOMETRIC")
    CUE_LABEL: ClassVar[str] = "BIOMETRIC"
    PHI_LABEL: ClassVar[str | None] = "BIOMETRIC"
    INSURANCE_LABEL: ClassVar[str | None] = None
    MIN_ALNUM: ClassVar[int] = 4
