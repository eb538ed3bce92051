"""Claim numbers after a claim cue: ACCOUNT in the PHI answer, CLAIM_ID in insurance."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class ClaimRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "claim"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("CLAIM_ID")
    CUE_LABEL: ClassVar[str] = "CLAIM_ID"
    PHI_LABEL: ClassVar[str | None] = "ACCOUNT"
    INSURANCE_LABEL: ClassVar[str | None] = "CLAIM_ID"
    MIN_ALNUM: ClassVar[int] = 4
