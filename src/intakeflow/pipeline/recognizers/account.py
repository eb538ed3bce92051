"""Account, statement, invoice and card numbers after their cue (claims and authorisations have their own recognizers)."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class AccountRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "account"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("ACCOUNT")
    CUE_LABEL: ClassVar[str] = "ACCOUNT"
    PHI_LABEL: ClassVar[str | None] = "ACCOUNT"
    INSURANCE_LABEL: ClassVar[str | None] = None
    MIN_ALNUM: ClassVar[int] = 4
    #: Claim and authorisation cues are handled by the more specific recognizers.
    DEFER_TO: ClassVar[frozenset[str]] = frozenset({"CLAIM_ID", "AUTH_NUMBER"})
