"""Member / subscriber IDs after their cue: HEALTH_PLAN in the PHI answer, MEMBER_ID in insurance."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class MemberIdRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "member_id"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("MEMBER_ID")
    CUE_LABEL: ClassVar[str] = "MEMBER_ID"
    PHI_LABEL: ClassVar[str | None] = "HEALTH_PLAN"
    INSURANCE_LABEL: ClassVar[str | None] = "MEMBER_ID"
    MIN_ALNUM: ClassVar[int] = 4
