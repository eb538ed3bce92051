"""Generated test data for the peer: Communications (small, valid R4) and signing keys."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

#: the client the tests register at the peer, and its key id
CLIENT_ID = "intakeflow-test"
KID = "key-1"
BASE_TIME = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_TEXTS = (
    "Please move my appointment #{n} to next week, thank you",
    "Question about the bill for visit {n}",
    "Can I get a refill, order {n}?",
    "My insurance changed, new member id to follow ({n})",
)


def instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def communication(n: int, *, last_updated: datetime | None = None, version: int = 1, prefix: str = "c") -> dict[str, Any]:
    """Communication ``{prefix}{n:06d}``: completed, one contentString, a Patient subject."""
    updated = last_updated or BASE_TIME + timedelta(seconds=n)
    return {
        "resourceType": "Communication",
        "id": f"{prefix}{n:06d}",
        "meta": {"versionId": str(version), "lastUpdated": instant(updated)},
        "status": "completed",
        "subject": {"reference": f"Patient/p{n % 97}"},
        "sent": instant(updated),
        "payload": [{"contentString": _TEXTS[n % len(_TEXTS)].format(n=n)}],
    }


def communications(count: int, start: int = 0, *, last_updated: datetime | None = None,
                   prefix: str = "c") -> Iterator[dict[str, Any]]:
    for n in range(start, start + count):
        yield communication(n, last_updated=last_updated, prefix=prefix)


@functools.cache
def rsa_key_pem(seed: int = 0) -> str:
    """A 2048-bit RSA private key (PKCS#8 PEM), one per ``seed`` per test session."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@functools.cache
def ec_key_pem(seed: int = 0) -> str:
    """A P-384 EC private key (PKCS#8 PEM) for ES384."""
    key = ec.generate_private_key(ec.SECP384R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()
