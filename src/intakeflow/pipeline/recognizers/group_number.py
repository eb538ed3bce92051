"""Group numbers after their cue ("grp 4471", "group # 0099-A"): HEALTH_PLAN + GROUP_NUMBER."""

from __future__ import annotations

from typing import ClassVar

from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer, cue_context


class GroupNumberRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "group_number"
    VERSION: ClassVar[str] = "1.0.0"
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("GROUP_NUMBER")
    CUE_LABEL: ClassVar[str] = "GROUP_NUMBER"
    PHI_LABEL: ClassVar[str | None] = "HEALTH_PLAN"
    INSURANCE_LABEL: ClassVar[str | None] = "GROUP_NUMBER"
    MIN_ALNUM: ClassVar[int] = 3
