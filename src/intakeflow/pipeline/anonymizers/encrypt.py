"""``encrypt``: AES-GCM token ``[ENC:LABEL:<base64url nonce+ciphertext>]``; the only
reversible operator, and only for holders of ``encryption_key``.

A fresh random nonce per span means equal values encrypt differently (no linkage). The
label is authenticated as associated data, so a token cannot be moved to another label.
:func:`decrypt` restores every token of a redacted text for authorised use.
"""

from __future__ import annotations

import base64
import os
import re

from intakeflow.errors import E
from intakeflow.pipeline.anonymizers.base import Operator, RedactionError, SpanContext

_NONCE_BYTES = 12
#: AES-128/192/256 key lengths in bytes (``RedactionConfig.encryption_key`` is checked against them)
AES_KEY_SIZES = (16, 24, 32)
TOKEN = re.compile(r"\[ENC:([A-Z][A-Z0-9_]*):([A-Za-z0-9_-]+)\]")


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encrypt_value(key: bytes, label: str, value: str) -> str:
    # imported where used: only deployments that choose the encrypt operator need cryptography
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE_BYTES)
    ct = AESGCM(key).encrypt(nonce, value.encode("utf-8"), label.encode("ascii"))
    return f"[ENC:{label}:{_b64e(nonce + ct)}]"


def decrypt(text: str, key: bytes) -> str:
    """Replace every ``[ENC:...]`` token in ``text`` by its plaintext.

    Raises :class:`RedactionError` (``E074``, token index only) when a token was not made
    with ``key`` or was altered; never returns partially decrypted text.
    """
    if not isinstance(key, bytes) or len(key) not in AES_KEY_SIZES:
        raise RedactionError(E.E073_REDACT_KEY_INVALID, why="wrong type or length")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aes = AESGCM(key)
    pieces: list[str] = []
    last = 0
    for index, m in enumerate(TOKEN.finditer(text)):
        try:
            raw = _b64d(m.group(2))
            if len(raw) <= _NONCE_BYTES:
                raise ValueError("short token")
            plain = aes.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], m.group(1).encode("ascii"))
        except (InvalidTag, ValueError) as exc:
            raise RedactionError(E.E074_DECRYPT_FAILED, index=index, why=type(exc).__name__) from None
        pieces += [text[last : m.start()], plain.decode("utf-8")]
        last = m.end()
    pieces.append(text[last:])
    return "".join(pieces)


class EncryptOperator(Operator):
    NAME = "encrypt"
    VERSION = "1.0.0"
    NEEDS_KEY = True
    REVERSIBLE = True

    def apply(self, ctx: SpanContext) -> str:
        return encrypt_value(ctx.config.require_key(), ctx.label, ctx.value)
