"""Replace PHI spans in text (Presidio-style operators, one per module).

Operators: ``tag`` (default, ``[NAME]``), ``mask`` (same length), ``surrogate`` (consistent
fakes), ``dateshift`` (per-scope day offset), ``hash`` (keyed pseudonym) and ``encrypt``
(AES-GCM, the only reversible one; undo with :func:`decrypt`). Keyed operators need
``RedactionConfig.secret`` and refuse to run without it.
"""

from __future__ import annotations

from intakeflow.pipeline.anonymizers.base import Operator, RedactionError, SpanContext
from intakeflow.pipeline.anonymizers.config import RedactionConfig
from intakeflow.pipeline.anonymizers.encrypt import decrypt
from intakeflow.pipeline.anonymizers.engine import redact
from intakeflow.pipeline.anonymizers.registry import OPERATORS

__all__ = ["OPERATORS", "Operator", "RedactionConfig", "RedactionError", "SpanContext", "decrypt", "redact"]
