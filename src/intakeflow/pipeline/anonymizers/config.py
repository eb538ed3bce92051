"""Redaction settings: which operator each label gets, and the secrets operators need."""

from __future__ import annotations

from dataclasses import dataclass, field

from intakeflow.errors import E, RedactionError
from intakeflow.pipeline.anonymizers.encrypt import AES_KEY_SIZES
from intakeflow.pipeline.anonymizers.registry import OPERATORS
from intakeflow.spec import INSURANCE_TYPES, PHI_TYPES

#: A shorter secret would make keyed outputs guessable by brute force over the secret.
MIN_SECRET_BYTES = 16
KNOWN_LABELS = frozenset(PHI_TYPES) | frozenset(INSURANCE_TYPES)


@dataclass
class RedactionConfig:
    """How :func:`intakeflow.pipeline.anonymizers.redact` replaces spans.

    ``operators`` maps a label to an operator name and overrides ``default_operator``
    for that label (``{"DATE": "dateshift", "NAME": "surrogate"}``). ``secret`` keys the
    ``surrogate``, ``dateshift`` and ``hash`` operators; ``encryption_key`` (AES, 16/24/32
    bytes) is needed by ``encrypt``, the only reversible operator. There is no default
    secret: an operator that needs one fails with ``E072`` when none is set.
    ``hash_scoped`` puts the scope into ``hash`` outputs too (no linkage across patients).
    """

    default_operator: str = "tag"
    operators: dict[str, str] = field(default_factory=dict)
    secret: bytes | None = None
    date_shift_days: int = 30
    mask_char: str = "*"
    encryption_key: bytes | None = None
    hash_chars: int = 16
    hash_scoped: bool = False

    def __post_init__(self) -> None:
        self.validate()

    def operator_for(self, label: str) -> str:
        return self.operators.get(label, self.default_operator)

    def validate(self) -> None:
        """Raise :class:`RedactionError` on any setting the operators cannot work with."""
        for label in self.operators:
            if label not in KNOWN_LABELS:
                raise RedactionError(E.E050_CONFIG, why="operators has a key that is not a spec label")
        used = {self.default_operator, *self.operators.values()}
        for name in sorted(used):
            if name not in OPERATORS:
                raise RedactionError(E.E071_REDACT_UNKNOWN_OPERATOR, name=name)
            op = OPERATORS[name]
            if op.NEEDS_SECRET:
                self._check_secret(name)
            if op.NEEDS_KEY:
                self._check_key()
        if not isinstance(self.mask_char, str) or len(self.mask_char) != 1 or self.mask_char.isspace():
            raise RedactionError(E.E050_CONFIG, why="mask_char must be one non-space character")
        if not 1 <= int(self.date_shift_days) <= 3650:
            raise RedactionError(E.E050_CONFIG, why="date_shift_days must be in 1..3650")
        if not 8 <= int(self.hash_chars) <= 64:
            raise RedactionError(E.E050_CONFIG, why="hash_chars must be in 8..64")

    def _check_secret(self, name: str) -> None:
        if self.secret is None:
            raise RedactionError(E.E072_REDACT_SECRET_MISSING, name=name)
        if not isinstance(self.secret, bytes) or len(self.secret) < MIN_SECRET_BYTES:
            raise RedactionError(E.E050_CONFIG, why=f"secret must be bytes of length >= {MIN_SECRET_BYTES}")

    def _check_key(self) -> None:
        key = self.encryption_key
        if key is None:
            raise RedactionError(E.E073_REDACT_KEY_INVALID, why="none set")
        if not isinstance(key, bytes) or len(key) not in AES_KEY_SIZES:
            raise RedactionError(E.E073_REDACT_KEY_INVALID, why="wrong type or length")

    def require_secret(self) -> bytes:
        """The secret for an operator about to use it (re-checked: configs are mutable)."""
        self._check_secret("secret")
        assert self.secret is not None
        return self.secret

    def require_key(self) -> bytes:
        self._check_key()
        assert self.encryption_key is not None
        return self.encryption_key
