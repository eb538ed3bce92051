"""The operator registry: name -> singleton operator instance."""

from __future__ import annotations

from intakeflow.pipeline.anonymizers.base import Operator
from intakeflow.pipeline.anonymizers.dateshift import DateShiftOperator
from intakeflow.pipeline.anonymizers.encrypt import EncryptOperator
from intakeflow.pipeline.anonymizers.hashing import HashOperator
from intakeflow.pipeline.anonymizers.mask import MaskOperator
from intakeflow.pipeline.anonymizers.surrogate import SurrogateOperator
from intakeflow.pipeline.anonymizers.tag import TagOperator

OPERATORS: dict[str, Operator] = {
    op.NAME: op
    for op in (
        TagOperator(),
        MaskOperator(),
        SurrogateOperator(),
        DateShiftOperator(),
        HashOperator(),
        EncryptOperator(),
    )
}
