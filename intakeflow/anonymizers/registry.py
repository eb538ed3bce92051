"""The operator registry: name -> singleton operator instance."""

from __future__ import annotations

from intakeflow.anonymizers.base import Operator
from intakeflow.anonymizers.dateshift import DateShiftOperator
from intakeflow.anonymizers.encrypt import EncryptOperator
from intakeflow.anonymizers.hashing import HashOperator
from intakeflow.anonymizers.mask import MaskOperator
from intakeflow.anonymizers.surrogate import SurrogateOperator
from intakeflow.anonymizers.tag import TagOperator

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
