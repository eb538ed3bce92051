"""Keyed determinism: HMAC-derived choices so equal inputs give equal outputs per secret.

Nothing here is reversible: without the secret an output cannot be linked back to its
value, and with it only by trying candidate values (hence the secret must stay secret).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

# Unit separator: no part can fake a boundary between two other parts.
_SEP = "\x1f"
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")
#: labels whose value is compared on its letters and digits only ("123-45-6789" == "123456789")
_ID_LIKE = frozenset(
    {
        "PHONE", "FAX", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE",
        "BIOMETRIC", "MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER", "CLAIM_ID", "AUTH_NUMBER",
    }
)  # fmt: skip


def keyed_digest(secret: bytes, *parts: str) -> bytes:
    return hmac.new(secret, _SEP.join(parts).encode("utf-8"), hashlib.sha256).digest()


def normalise_value(label: str, value: str) -> str:
    """The form two mentions of one value share (case, spacing and separators dropped)."""
    folded = value.casefold().strip()
    if label in _ID_LIKE:
        norm = _NON_ALNUM.sub("", folded)
        # a leading US country code is not part of the number's identity
        if label in ("PHONE", "FAX") and len(norm) == 11 and norm.startswith("1"):
            norm = norm[1:]
        return norm
    return _SPACES.sub(" ", folded)


class KeyedRng:
    """A deterministic stream of choices seeded by ``HMAC(secret, parts)``."""

    def __init__(self, secret: bytes, *parts: str) -> None:
        self._seed = keyed_digest(secret, *parts)
        self._counter = 0
        self._buf = b""

    def _take(self, n: int) -> bytes:
        while len(self._buf) < n:
            block = hmac.new(self._seed, self._counter.to_bytes(8, "big"), hashlib.sha256).digest()
            self._buf += block
            self._counter += 1
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def below(self, n: int) -> int:
        """An integer in ``[0, n)``; 64 random bits make the modulo bias negligible."""
        if n <= 0:
            raise ValueError("n must be positive")
        return int.from_bytes(self._take(8), "big") % n

    def choice(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def digit(self, nonzero: bool = False) -> str:
        return str(1 + self.below(9)) if nonzero else str(self.below(10))

    def letter(self) -> str:
        return chr(ord("a") + self.below(26))
