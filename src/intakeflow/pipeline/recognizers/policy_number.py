"""Policy numbers named as such ("policy number A M B 7 7 2 0"): HEALTH_PLAN + POLICY_NUMBER."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class PolicyNumberRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "policy_number"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("POLICY_NUMBER")
    CUE_LABEL: ClassVar[str] = "POLICY_NUMBER"
    PHI_LABEL: ClassVar[str | None] = "HEALTH_PLAN"
    INSURANCE_LABEL: ClassVar[str | None] = "POLICY_NUMBER"
    MIN_ALNUM: ClassVar[int] = 4
