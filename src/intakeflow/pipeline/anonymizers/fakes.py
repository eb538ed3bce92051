"""Type-appropriate fake values for the ``surrogate`` operator.

Every generator takes the original value and a :class:`KeyedRng` and returns a fake of
the same kind. Fakes come from reserved or fictional ranges where one exists: phone
numbers ``555-01xx``, e-mail domains ``example.*``, IPs from RFC 5737 / RFC 3849, SSNs
starting with 9 (an area never issued). Other identifiers keep their character-class
shape (digit -> digit, upper -> upper, lower -> lower, separators kept).
"""

from __future__ import annotations

import re

from intakeflow.pipeline.anonymizers.keyed import KeyedRng
from intakeflow.pipeline.anonymizers.pools import (
    CITIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    KNOWN_SUFFIXES,
    LAST_NAMES,
    STATE_CODES,
    STREET_NAMES,
    STREET_SUFFIXES,
)

_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
_STATE_ZIP = re.compile(r"(?P<state>[A-Za-z]{2})\s+(?P<zip>\d{5}(?:-\d{4})?)")
_HOUSE = re.compile(r"(?P<num>\d+[A-Za-z]?)\s+(?P<street>[^,]+)(?P<rest>,.*)?", re.S)
_UNIT = re.compile(r"(?P<word>apt|apartment|unit|suite|ste|#)\.?\s*#?\s*(?P<id>\w+)", re.I)
_PO_BOX = re.compile(r"(?P<word>p\.?\s*o\.?\s*box)\s*#?\s*(?P<id>\w+)", re.I)
_EXT = re.compile(r"\.[A-Za-z0-9]{2,4}$")


def _cased(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like.islower():
        return word.lower()
    return word


def shape(value: str, rng: KeyedRng) -> str:
    """Same character classes, new characters: ``AB-1234`` -> ``QX-8051``."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(rng.digit())
        elif ch.isalpha() and ch.isascii():
            letter = rng.letter()
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


def fake_ssn(value: str, rng: KeyedRng) -> str:
    fake = shape(value, rng)
    if sum(ch.isdigit() for ch in value) == 9:
        fake = re.sub(r"\d", "9", fake, count=1)
    return fake


def fake_phone(value: str, rng: KeyedRng) -> str:
    """A ``555-01xx`` number (reserved for fiction) written in the original's layout."""
    n_digits = sum(ch.isdigit() for ch in value)
    area = f"{rng.digit(nonzero=True)}{rng.digit()}{rng.digit()}"
    line = f"55501{rng.digit()}{rng.digit()}"
    if n_digits == 7:
        digits = line
    elif n_digits == 10:
        digits = area + line
    elif n_digits == 11 and value.lstrip("+ (").startswith("1"):
        digits = "1" + area + line
    else:
        return shape(value, rng)
    it = iter(digits)
    return "".join(next(it) if ch.isdigit() else ch for ch in value)


def fake_email(value: str, rng: KeyedRng) -> str:
    local = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.below(90) + 10}".lower()
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def fake_url(value: str, rng: KeyedRng) -> str:
    path = "".join(rng.letter() if rng.below(3) else rng.digit() for _ in range(8))
    lowered = value.lower()
    if lowered.startswith(("http://", "https://")):
        return f"{value.split(':', 1)[0]}://example.org/{path}"
    if lowered.startswith("www."):
        return f"www.example.org/{path}"
    return f"example.org/{path}"


def fake_ip(value: str, rng: KeyedRng) -> str:
    if ":" in value:
        return f"2001:db8::{rng.below(0xFFFF) + 1:x}"
    return f"192.0.2.{rng.below(254) + 1}"


def fake_photo_ref(value: str, rng: KeyedRng) -> str:
    m = _EXT.search(value)
    if m is None:
        return shape(value, rng)
    return shape(value[: m.start()], rng) + m.group(0)


def fake_name_token(token: str, rng: KeyedRng, surname: bool) -> str:
    core = token.rstrip(".")
    if len(core) == 1:  # an initial stays an initial
        letter = rng.letter()
        return (letter if core.islower() else letter.upper()) + token[1:]
    pool = LAST_NAMES if surname else FIRST_NAMES
    return _cased(rng.choice(pool), core)


def fake_zip(value: str, rng: KeyedRng) -> str:
    return shape(value, rng)


def fake_city(value: str, rng: KeyedRng) -> str:
    return _cased(rng.choice(CITIES), value)


def _fake_address_part(part: str, rng: KeyedRng) -> str:
    stripped = part.strip()
    m = _STATE_ZIP.fullmatch(stripped)
    if m and m.group("state").upper() in STATE_CODES:
        return part.replace(m.group("zip"), fake_zip(m.group("zip"), rng))
    if _ZIP.fullmatch(stripped):
        return part.replace(stripped, fake_zip(stripped, rng))
    if stripped.upper() in STATE_CODES or not stripped:
        return part
    u = _UNIT.fullmatch(stripped) or _PO_BOX.fullmatch(stripped)
    if u:
        return part.replace(u.group("id"), shape(u.group("id"), rng))
    lead = part[: len(part) - len(part.lstrip())]
    return lead + fake_city(stripped, rng)


def fake_location(value: str, rng: KeyedRng) -> str:
    """Street address, ZIP or place: house numbers, streets, cities and ZIPs are replaced,
    state codes and the comma layout are kept."""
    if _ZIP.fullmatch(value):
        return fake_zip(value, rng)
    m = _HOUSE.fullmatch(value)
    if m is None:
        return ",".join(_fake_address_part(p, rng) for p in value.split(","))
    num = m.group("num")
    new_num = rng.digit(nonzero=True) + "".join(rng.digit() for _ in range(sum(c.isdigit() for c in num) - 1))
    words = m.group("street").split()
    suffix = words[-1] if words[-1].lower().rstrip(".") in KNOWN_SUFFIXES else rng.choice(STREET_SUFFIXES)
    street = f"{rng.choice(STREET_NAMES)} {suffix}"
    rest = m.group("rest") or ""
    parts = rest.split(",")[1:] if rest else []
    tail = "".join("," + _fake_address_part(p, rng) for p in parts)
    return f"{new_num} {street}{tail}"
