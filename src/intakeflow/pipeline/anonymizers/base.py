"""The operator contract (Presidio style) and the per-span context operators receive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

from intakeflow.errors import RedactionError as RedactionError  # defined in the catalogue; re-exported


class OperatorSettings(Protocol):
    """What operators read of the redaction settings (:class:`~intakeflow.pipeline.anonymizers.config.RedactionConfig`,
    which imports the operators to validate itself: operators depend on this contract, not on it)."""

    date_shift_days: int
    mask_char: str
    hash_chars: int
    hash_scoped: bool

    def require_secret(self) -> bytes: ...

    def require_key(self) -> bytes: ...


@dataclass(frozen=True)
class SpanContext:
    """What an operator may look at: the span's value, its label, where it sits, the scope.

    ``text`` is the whole original message so an operator can read the words before a span
    (a surname after ``Dr.``); operators never return anything taken from outside the span.
    """

    text: str
    start: int
    end: int
    label: str
    scope: str
    config: OperatorSettings

    @property
    def value(self) -> str:
        return self.text[self.start : self.end]


class Operator:
    """One anonymisation operator. Subclasses set the constants and implement :meth:`apply`.

    ``NEEDS_SECRET`` operators derive their output from ``RedactionConfig.secret`` and refuse
    to run without one; ``REVERSIBLE`` marks the only operator whose output can be undone.
    """

    NAME: ClassVar[str] = "base"
    VERSION: ClassVar[str] = "0.0.0"
    NEEDS_SECRET: ClassVar[bool] = False
    NEEDS_KEY: ClassVar[bool] = False
    REVERSIBLE: ClassVar[bool] = False

    def apply(self, ctx: SpanContext) -> str:
        raise NotImplementedError
