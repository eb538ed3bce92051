"""Prior-authorization and referral numbers: ACCOUNT in the PHI answer, AUTH_NUMBER in insurance."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class AuthNumberRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "auth_number"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("AUTH_NUMBER")
    CUE_LABEL: ClassVar[str] = "AUTH_NUMBER"
    PHI_LABEL: ClassVar[str | None] = "ACCOUNT"
    INSURANCE_LABEL: ClassVar[str | None] = "AUTH_NUMBER"
    MIN_ALNUM: ClassVar[int] = 4
