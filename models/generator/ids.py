"""Identifier format families: many institution-style shapes per PHI type (all random, all fake).

Every public function takes a ``random.Random`` and returns the identifier text only; cue
words are added by the slot layer, never here.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable

from . import pools

U = string.ascii_uppercase
L = string.ascii_lowercase
D = string.digits
UD = U + D
ALNUM_NO_AMBIG = "ABCDEFGHJKLMNPQRTUVWXY"  # the MBI alphabet leaves out S, L, O, I, B, Z


def dg(r: random.Random, n: int, lead_zero: bool = True) -> str:
    s = "".join(r.choice(D) for _ in range(n))
    return s if lead_zero or s[0] != "0" else str(r.randint(1, 9)) + s[1:]


def up(r: random.Random, n: int) -> str:
    return "".join(r.choice(U) for _ in range(n))


def an(r: random.Random, n: int) -> str:
    return "".join(r.choice(UD) for _ in range(n))


def group(s: str, sizes: tuple[int, ...], sep: str) -> str:
    out, i = [], 0
    for k in sizes:
        out.append(s[i : i + k])
        i += k
    if i < len(s):
        out.append(s[i:])
    return sep.join(x for x in out if x)


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def mod_digit(s: str) -> str:
    """A simple weighted check digit, the kind many in-house ID schemes append."""
    total = sum((i + 2) * int(c) for i, c in enumerate(reversed(s)) if c.isdigit())
    return str(total % 10)


def families(*fns: Callable[[random.Random], str]) -> Callable[[random.Random], str]:
    def gen(r: random.Random) -> str:
        return fns[r.randrange(len(fns))](r)

    return gen


mrn = families(
    lambda r: dg(r, r.choice((6, 7, 8)), False),
    lambda r: dg(r, 10, False),
    lambda r: "00" + dg(r, r.choice((5, 6, 7))),
    lambda r: group(dg(r, 7), (3, 4), "-"),
    lambda r: group(dg(r, 10), (4, 4, 2), "-"),
    lambda r: group(dg(r, 9), (3, 3, 3), r.choice(("-", " ", "."))),
    lambda r: r.choice(("E", "M", "P", "H", "V", "C", "K")) + dg(r, r.choice((6, 7, 8, 9))),
    lambda r: up(r, 2) + dg(r, r.choice((6, 7, 8))),
    lambda r: up(r, 3) + "-" + dg(r, r.choice((5, 6, 7))),
    lambda r: str(r.randint(2005, 2025)) + "-" + dg(r, r.choice((5, 6))),
    lambda r: str(r.randint(2005, 2025))[2:] + dg(r, 6),
    (lambda r: (lambda b: b + "-" + mod_digit(b))(dg(r, 7, False))),
    lambda r: dg(r, 7, False) + r.choice(U),
    lambda r: r.choice(U) + dg(r, 1) + "-" + dg(r, 7),
    lambda r: up(r, 1).lower() + dg(r, 8),
    lambda r: dg(r, 3) + "." + dg(r, 3) + "." + dg(r, 3),
    lambda r: r.choice(("PT", "CH", "MR", "RX")) + dg(r, r.choice((5, 6, 7))),
    lambda r: dg(r, 2) + "-" + dg(r, 2) + "-" + dg(r, 2) + "-" + dg(r, 2),
)

member_id = families(
    lambda r: up(r, 3) + dg(r, 9),
    lambda r: up(r, 3) + dg(r, 8) + r.choice(("01", "02", "")),
    lambda r: "W" + dg(r, 9),
    lambda r: r.choice(("U", "H", "M", "Y", "K", "Z", "R")) + dg(r, r.choice((8, 9, 10))),
    lambda r: dg(r, r.choice((9, 10, 11)), False),
    lambda r: group(dg(r, 11, False), (4, 4, 3), " "),
    lambda r: group(dg(r, 12, False), (4, 4, 4), r.choice((" ", "-"))),
    lambda r: mbi(r),
    lambda r: dg(r, 8) + up(r, 1),
    lambda r: up(r, 2) + dg(r, 6) + up(r, 1),
    lambda r: dg(r, 9, False) + "-" + r.choice(("00", "01", "02", "03")),
    lambda r: dg(r, 9, False) + r.choice(U),
    lambda r: an(r, 10),
    lambda r: up(r, 3).lower() + dg(r, 9),
    lambda r: dg(r, 3) + "." + dg(r, 3) + "." + dg(r, 4),
    lambda r: "1" + dg(r, 2) + up(r, 1) + "-" + dg(r, 5),
    lambda r: up(r, 4) + dg(r, 7),
    lambda r: dg(r, 5) + up(r, 2) + dg(r, 3),
)


def mbi(r: random.Random) -> str:
    """Medicare Beneficiary Identifier layout (11 characters), optionally dashed 4-3-4."""
    a = ALNUM_NO_AMBIG
    c = (
        str(r.randint(1, 9))
        + r.choice(a)
        + r.choice(a + D)
        + r.choice(D)
        + r.choice(a)
        + r.choice(a + D)
        + r.choice(D)
        + r.choice(a)
        + r.choice(a)
        + r.choice(D)
        + r.choice(D)
    )
    return group(c, (4, 3, 4), "-") if r.random() < 0.35 else c


group_number = families(
    lambda r: dg(r, r.choice((5, 6, 7, 8)), False),
    lambda r: "00" + dg(r, r.choice((4, 5, 6))),
    lambda r: dg(r, 6) + "-" + dg(r, r.choice((3, 4))),
    lambda r: r.choice(U) + dg(r, r.choice((4, 5, 6))),
    lambda r: up(r, 2) + "-" + dg(r, 5),
    lambda r: dg(r, 6) + up(r, 1) + dg(r, 3),
    lambda r: up(r, 3) + dg(r, 4),
    lambda r: dg(r, 4) + "-" + dg(r, 2),
    lambda r: an(r, 7),
    lambda r: dg(r, 3) + " " + dg(r, 3),
    lambda r: "G" + dg(r, 7),
    lambda r: dg(r, 10, False),
    lambda r: dg(r, 5) + "." + dg(r, 3),
    lambda r: up(r, 1).lower() + dg(r, 6),
    lambda r: dg(r, 2) + up(r, 3) + dg(r, 2),
)

policy_number = families(
    lambda r: up(r, 3) + dg(r, 7),
    lambda r: dg(r, r.choice((8, 10, 12)), False),
    lambda r: up(r, 1) + dg(r, 4) + "-" + dg(r, 4) + "-" + dg(r, 2),
    lambda r: group(dg(r, 10), (4, 4, 2), "-"),
    lambda r: dg(r, 3) + "-" + dg(r, 7) + "-" + dg(r, 1),
    lambda r: up(r, 2) + dg(r, 8),
    lambda r: dg(r, 9) + up(r, 2),
    lambda r: "P" + dg(r, 9),
    lambda r: an(r, 12),
    lambda r: dg(r, 4) + " " + dg(r, 4) + " " + dg(r, 4),
    lambda r: up(r, 3) + "-" + dg(r, 6) + "-" + up(r, 1),
    lambda r: str(r.randint(2010, 2025)) + dg(r, 7),
    lambda r: up(r, 1).lower() + up(r, 2).lower() + dg(r, 7),
    lambda r: dg(r, 2) + "-" + up(r, 2) + "-" + dg(r, 6),
    lambda r: dg(r, 7) + "/" + dg(r, 2),
)

account = families(
    lambda r: dg(r, r.choice((6, 7, 8, 9, 10)), False),
    lambda r: group(dg(r, 8), (4, 4), "-"),
    lambda r: "A" + dg(r, r.choice((6, 7, 8))),
    lambda r: r.choice(("AC", "G", "GT", "PA", "HB", "PB")) + dg(r, r.choice((6, 7))),
    lambda r: str(r.randint(2019, 2025)) + "-" + dg(r, 6),
    lambda r: dg(r, 3) + "-" + dg(r, 3) + "-" + dg(r, 3),
    lambda r: dg(r, 4) + " " + dg(r, 4) + " " + dg(r, 2),
    (lambda r: (lambda b: b + mod_digit(b))(dg(r, 8, False))),
    lambda r: up(r, 2) + "-" + dg(r, 7),
    lambda r: dg(r, 7) + "-" + dg(r, 2),
    lambda r: "00" + dg(r, 8),
    lambda r: up(r, 1).lower() + dg(r, 7),
    lambda r: dg(r, 5) + "." + dg(r, 4),
    lambda r: r.choice(U) + dg(r, 2) + "-" + dg(r, 5) + "-" + r.choice(U),
    lambda r: dg(r, 12, False),
)

statement = families(
    lambda r: r.choice(("S", "ST", "STM", "INV", "IN", "B")) + "-" + dg(r, r.choice((5, 6, 7))),
    lambda r: r.choice(("INV", "SI", "BL")) + dg(r, r.choice((6, 8))),
    lambda r: str(r.randint(2021, 2025)) + dg(r, 2) + "-" + dg(r, 5),
    lambda r: dg(r, r.choice((6, 8, 10)), False),
    lambda r: dg(r, 4) + "-" + dg(r, 4) + "-" + dg(r, 4),
    lambda r: up(r, 2) + dg(r, 6) + up(r, 1),
)

claim = families(
    lambda r: up(r, 2) + dg(r, 8),
    lambda r: dg(r, r.choice((11, 12, 13, 15)), False),
    lambda r: str(r.randint(2021, 2025)) + dg(r, 2) + dg(r, 2) + dg(r, 5),
    lambda r: "CLM-" + dg(r, 7),
    lambda r: "C" + dg(r, r.choice((8, 9, 10))),
    lambda r: up(r, 1) + dg(r, 4) + "-" + dg(r, 5),
    lambda r: dg(r, 2) + "-" + dg(r, 6) + "-" + dg(r, 3),
    lambda r: an(r, 11),
    lambda r: group(dg(r, 14), (4, 4, 6), " "),
    lambda r: "E" + str(r.randint(21, 25)) + dg(r, 9),
    lambda r: dg(r, 10) + up(r, 2),
    lambda r: up(r, 3) + "-" + str(r.randint(2021, 2025)) + "-" + dg(r, 5),
    lambda r: up(r, 2).lower() + dg(r, 9),
    lambda r: dg(r, 4) + "." + dg(r, 6),
    lambda r: "1" + up(r, 1) + dg(r, 6) + up(r, 1) + dg(r, 4),
)

auth = families(
    lambda r: up(r, 2) + dg(r, 5) + "-" + up(r, 1),
    lambda r: "PA" + r.choice(("-", "")) + dg(r, r.choice((6, 7, 8))),
    lambda r: "REF-" + dg(r, 7),
    lambda r: "R" + dg(r, r.choice((7, 8, 9))),
    lambda r: dg(r, r.choice((8, 9, 10, 12)), False),
    lambda r: "A" + dg(r, 9),
    lambda r: up(r, 3) + dg(r, 7),
    lambda r: str(r.randint(2022, 2025)) + "-" + up(r, 2) + "-" + dg(r, 5),
    lambda r: dg(r, 3) + "-" + dg(r, 4) + "-" + dg(r, 3),
    lambda r: "P" + dg(r, 2) + "-" + dg(r, 6),
    lambda r: an(r, 9),
    lambda r: up(r, 1) + dg(r, 3) + up(r, 1) + dg(r, 4),
    lambda r: dg(r, 6) + "-" + up(r, 2),
    lambda r: up(r, 1).lower() + dg(r, 8),
    lambda r: "RF" + dg(r, 2) + "." + dg(r, 5),
)


def card_number(r: random.Random) -> str:
    pre = r.choice(("4", "51", "52", "55", "37", "6011"))
    n = 15 if pre == "37" else 16
    num = luhn_complete(pre + dg(r, n - len(pre) - 1))
    if n == 15:
        return r.choice((num, group(num, (4, 6, 5), " "), group(num, (4, 6, 5), "-")))
    return r.choice((num, group(num, (4, 4, 4, 4), " "), group(num, (4, 4, 4, 4), "-")))


def bank_account(r: random.Random) -> str:
    return dg(r, r.choice((8, 9, 10, 11, 12)), False)


def dea(r: random.Random, last_initial: str = "") -> str:
    d = [r.randint(0, 9) for _ in range(6)]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    second = last_initial.upper() if last_initial and last_initial.isascii() and last_initial.isalpha() else r.choice(U)
    return r.choice("ABFGM") + second + "".join(map(str, d)) + str(check)


drivers_license = families(
    lambda r: r.choice(U) + dg(r, 7),  # CA style
    lambda r: dg(r, 8, False),  # TX style
    lambda r: dg(r, 3) + " " + dg(r, 3) + " " + dg(r, 3),  # NY style
    lambda r: r.choice(U) + dg(r, 3) + "-" + dg(r, 3) + "-" + dg(r, 2) + "-" + dg(r, 3) + "-" + dg(r, 1),  # FL
    lambda r: r.choice(U) + dg(r, 3) + "-" + dg(r, 4) + "-" + dg(r, 4),  # IL
    lambda r: "WDL" + an(r, 9),  # WA
    lambda r: dg(r, 2) + " " + dg(r, 3) + " " + dg(r, 3),  # PA
    lambda r: r.choice(U) + dg(r, 4) + " " + dg(r, 5) + " " + dg(r, 5),  # NJ
    lambda r: r.choice(U) + " " + dg(r, 3) + " " + dg(r, 3) + " " + dg(r, 3) + " " + dg(r, 3),  # MI
    lambda r: up(r, 2) + dg(r, 6),  # OH
    lambda r: "S" + dg(r, 8),  # MA
    lambda r: r.choice(U) + dg(r, 3) + "-" + dg(r, 4) + "-" + dg(r, 4) + "-" + dg(r, 2),  # WI
    lambda r: dg(r, 9, False),
    lambda r: dg(r, 3) + "-" + dg(r, 2) + "-" + dg(r, 4),  # SSN-shaped states
    lambda r: r.choice(U) + dg(r, 2) + "-" + dg(r, 2) + "-" + dg(r, 4),  # ME/AZ-like
    lambda r: dg(r, 7, False),
    lambda r: r.choice(U).lower() + dg(r, 7),
)

professional_license = families(
    lambda r: r.choice(("MD", "RN", "LPN", "DO", "PA", "NP", "DDS", "LCSW", "PT")) + dg(r, r.choice((5, 6, 7))),
    lambda r: r.choice(("A", "G", "C")) + dg(r, 5),
    lambda r: dg(r, 2) + "." + dg(r, 6),
    lambda r: r.choice(("ME", "RN", "PT")) + "-" + dg(r, 6),
    lambda r: dg(r, 6, False),
    lambda r: str(r.randint(1990, 2024)) + "-" + dg(r, 5),
    lambda r: dg(r, 4) + "-" + dg(r, 6) + "-" + up(r, 1),
    lambda r: r.choice(U) + "-" + dg(r, 5),
)


def license_any(r: random.Random) -> str:
    x = r.random()
    if x < 0.55:
        return drivers_license(r)
    if x < 0.8:
        return professional_license(r)
    return dea(r)


plate = families(
    lambda r: str(r.randint(1, 9)) + up(r, 3) + dg(r, 3),  # CA
    lambda r: up(r, 3) + "-" + dg(r, 4),  # NY/TX
    lambda r: up(r, 3) + dg(r, 4),
    lambda r: up(r, 3) + " " + up(r, 1) + dg(r, 2),  # FL
    lambda r: up(r, 2) + dg(r, 1) + "-" + up(r, 1) + dg(r, 3),
    lambda r: dg(r, 3) + " " + up(r, 3),
    lambda r: dg(r, 3) + "-" + up(r, 3),
    lambda r: up(r, 2) + "-" + dg(r, 5),
    lambda r: dg(r, 1) + up(r, 2) + dg(r, 4),
    lambda r: up(r, 1) + dg(r, 2) + " " + up(r, 3),
    lambda r: r.choice(("SMILE", "DRMOM", "GOBUCKS", "NURSE", "RUNFAR", "KAYAK", "BEEKPR", "MAMA", "TACOS")) + dg(r, 1),
    lambda r: dg(r, 2) + up(r, 1) + dg(r, 3),
    lambda r: up(r, 3) + " " + dg(r, 3),
    lambda r: up(r, 1) + dg(r, 6),
    lambda r: up(r, 2) + dg(r, 2) + up(r, 2),
)

_VIN_ALPHA = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUE = {
    **{str(i): i for i in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin(r: random.Random) -> str:
    chars = [r.choice(_VIN_ALPHA) for _ in range(17)]
    chars[0] = r.choice("12345JKLSTVWYZ")
    total = sum(_VIN_VALUE[c] * w for c, w in zip(chars, _VIN_WEIGHTS))
    chars[8] = "X" if total % 11 == 10 else str(total % 11)
    return "".join(chars)


def vehicle(r: random.Random) -> str:
    return vin(r) if r.random() < 0.3 else plate(r)


device_serial = families(
    lambda r: dg(r, r.choice((8, 10, 11, 12, 14)), False),
    lambda r: up(r, 3) + dg(r, r.choice((6, 7, 8))),
    lambda r: up(r, 1) + dg(r, 6) + up(r, 1),
    lambda r: dg(r, 2) + "-" + dg(r, 4) + "-" + dg(r, 4),
    lambda r: an(r, 4) + "-" + an(r, 4) + "-" + an(r, 4),
    lambda r: an(r, 6),
    lambda r: "SN" + dg(r, 8),
    lambda r: str(r.randint(2018, 2025)) + up(r, 2) + dg(r, 5),
    lambda r: up(r, 2) + dg(r, 2) + up(r, 2) + dg(r, 4),
    lambda r: "".join(r.choice("0123456789ABCDEF") for _ in range(12)),
    lambda r: dg(r, 3) + up(r, 3) + dg(r, 3),
    lambda r: up(r, 3).lower() + dg(r, 7),
    lambda r: dg(r, 5) + "." + dg(r, 4),
    lambda r: up(r, 1) + dg(r, 4) + " " + dg(r, 4),
    lambda r: "0" + dg(r, 1) + "-" + dg(r, 7) + "-" + up(r, 1),
    lambda r: up(r, 2) + "-" + an(r, 8),
)

biometric = families(
    lambda r: (
        r.choice(("VPR", "VP", "FP", "FPR", "BIO", "RTN", "RS", "IRIS", "DNA", "GX", "BM")) + "-" + dg(r, r.choice((5, 6, 7)))
    ),
    lambda r: r.choice(("FP", "VP", "RT", "BX")) + dg(r, r.choice((6, 8))),
    lambda r: "DNA-" + up(r, 2) + "-" + dg(r, 6),
    lambda r: str(r.randint(2019, 2025)) + "-" + r.choice(("FP", "VP", "RS", "GS")) + "-" + dg(r, 5),
    lambda r: dg(r, r.choice((7, 9, 10)), False),
    lambda r: up(r, 2) + dg(r, 4) + up(r, 2),
    lambda r: "KIT" + dg(r, 8),
    lambda r: an(r, 8),
    lambda r: dg(r, 4) + "-" + dg(r, 4) + "-" + up(r, 1),
    lambda r: "S" + dg(r, 2) + "-" + dg(r, 6),
    lambda r: r.choice(("vp", "fp", "bio")) + "_" + dg(r, 6),
    lambda r: up(r, 1) + dg(r, 3) + "." + dg(r, 4),
    lambda r: "GS" + up(r, 1) + dg(r, 7),
    lambda r: "".join(r.choice("0123456789abcdef") for _ in range(10)),
    lambda r: dg(r, 3) + "-" + up(r, 3) + "-" + dg(r, 3),
)

_PHOTO_WORDS = (
    "rash",
    "left_arm_rash",
    "mole_back",
    "knee_swelling",
    "incision",
    "incision_day4",
    "foot_wound",
    "insurance_card_front",
    "ins_card_back",
    "drivers_license",
    "my_id",
    "eye_redness",
    "throat",
    "tooth",
    "bruise",
    "burn_hand",
    "scalp",
    "wound_check",
    "rash_day3",
    "stitches",
    "toenail",
    "lump_neck",
    "face",
)


def photo_ref(r: random.Random) -> str:
    k = r.randrange(15)
    ext = r.choice((".jpg", ".jpg", ".jpeg", ".png", ".heic", ".HEIC", ".JPG", ".PNG"))
    if k == 0:
        return "IMG_" + dg(r, 4) + ext
    if k == 1:
        return f"IMG_{r.randint(2019, 2025)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}_{dg(r, 6)}" + ext
    if k == 2:
        return f"PXL_{r.randint(2020, 2025)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}_{dg(r, 9)}" + ".jpg"
    if k == 3:
        return "DSC" + dg(r, 5) + r.choice((".JPG", ".jpg"))
    if k == 4:
        return r.choice(_PHOTO_WORDS) + ext
    if k == 5:
        return r.choice(_PHOTO_WORDS) + "_" + str(r.randint(1, 12)) + ext
    if k == 6:
        return f"IMG-{r.randint(2020, 2025)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}-WA{dg(r, 4)}.jpg"
    if k == 7:
        return f"{r.randint(2020, 2025)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}_{dg(r, 6)}.jpg"
    if k == 8:
        return f"photo ({r.randint(1, 9)}){ext}"
    if k == 9:
        return f"Screenshot_{r.randint(2021, 2025)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{dg(r, 6)}.png"
    if k == 10:
        return r.choice(("PH", "PHO", "IMG")) + "-" + dg(r, r.choice((5, 6, 7)))
    if k == 11:
        return "P" + dg(r, 8)
    if k == 12:
        return "image" + dg(r, r.choice((1, 2, 3))) + ext
    if k == 13:
        return "scan_" + dg(r, 4) + ".pdf"
    return up(r, 3) + "_" + dg(r, 4) + ext


def ssn(r: random.Random) -> str:
    a = r.randint(1, 899)
    while a == 666:
        a = r.randint(1, 899)
    b, c = r.randint(1, 99), r.randint(1, 9999)
    k = r.randrange(10)
    if k < 6:
        return f"{a:03d}-{b:02d}-{c:04d}"
    if k < 8:
        return f"{a:03d} {b:02d} {c:04d}"
    return f"{a:03d}{b:02d}{c:04d}"


def ssn_last4(r: random.Random) -> str:
    return dg(r, 4)


def phone(r: random.Random, area: str | None = None) -> str:
    a = area or str(r.randint(201, 989))
    if a[1] == "9":
        a = a[0] + "8" + a[2]
    ex = "555" if r.random() < 0.6 else str(r.randint(202, 989))
    ln = "01" + dg(r, 2) if ex == "555" and r.random() < 0.7 else dg(r, 4)
    k = r.randrange(12)
    if k < 3:
        return f"{a}-{ex}-{ln}"
    if k < 5:
        return f"({a}) {ex}-{ln}"
    if k == 5:
        return f"{a}.{ex}.{ln}"
    if k == 6:
        return f"{a}{ex}{ln}"
    if k == 7:
        return f"{a} {ex} {ln}"
    if k == 8:
        return f"+1 {a} {ex} {ln}"
    if k == 9:
        return f"1-{a}-{ex}-{ln}"
    if k == 10:
        return f"+1 ({a}) {ex}-{ln}"
    return f"{ex}-{ln}"


def ip(r: random.Random) -> str:
    if r.random() < 0.7:
        first = r.choice(
            (
                24,
                47,
                50,
                63,
                66,
                67,
                68,
                69,
                71,
                73,
                75,
                76,
                96,
                98,
                99,
                104,
                107,
                108,
                172,
                173,
                174,
                184,
                192,
                198,
                203,
                208,
                10,
            )
        )
        return f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    hx = "0123456789abcdef"
    groups = ["2" + "".join(r.choice(hx) for _ in range(3))]
    groups += ["".join(r.choice(hx) for _ in range(r.randint(1, 4))) for _ in range(r.choice((3, 7)))]
    if len(groups) == 4:
        return ":".join(groups) + "::" + "".join(r.choice(hx) for _ in range(r.randint(1, 4)))
    return ":".join(groups)


def _ascii(s: str) -> str:
    import unicodedata

    out = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(c for c in out.lower() if c.isalnum())


def email(r: random.Random, first: str, last: str) -> str:
    f, la = _ascii(first) or "pat", _ascii(last) or "lee"
    dom = r.choice(pools.EMAIL_DOMAINS)
    k = r.randrange(9)
    local = (
        f"{f}.{la}",
        f"{f[0]}{la}",
        f"{f}{la}{r.randint(1, 99)}",
        f"{f}_{la}",
        f"{la}.{f}",
        f"{f}{r.randint(1955, 2008)}",
        f"{f[0]}.{la}{r.randint(1, 9)}",
        f"{f}.{la[0]}",
        f"the{f}{la[:3]}",
    )[k]
    if r.random() < 0.1:
        dom = r.choice(("work", "mail", "corp", "school", "alumni")) + "." + la[:5] + r.choice((".org", ".edu", ".net", ".com"))
    return f"{local}@{dom}"


def url(r: random.Random) -> str:
    k = r.randrange(12)
    site = r.choice(
        (
            "riversidefm",
            "lakeshorepeds",
            "summitortho",
            "clearwaterderm",
            "evergreeneye",
            "pinecrestdental",
            "valleycardio",
            "tricountygi",
            "horizonfert",
            "keystonepod",
            "prairiewellness",
            "bluebirdbh",
        )
    )
    tail = an(r, r.choice((6, 8, 10))).lower()
    if k == 0:
        return f"https://portal.{site}.com/messages/{dg(r, 6)}"
    if k == 1:
        return f"https://pay.{site}.com/invoice?id={tail}"
    if k == 2:
        return f"www.{site}.com/new-patients"
    if k == 3:
        return f"https://{site}.com/forms/intake.pdf"
    if k == 4:
        return f"https://bit.ly/{an(r, 7)}"
    if k == 5:
        return f"https://mychart.{site}.org/MyChart/Billing/Summary?acct={dg(r, 8)}"
    if k == 6:
        return f"https://www.facebook.com/{tail}"
    if k == 7:
        return f"http://{site}.net/pay/{tail}"
    if k == 8:
        return f"https://secure.paymentcenter.example.com/p/{tail}"
    if k == 9:
        return f"{site}.com/billing"
    if k == 10:
        return f"https://www.linkedin.com/in/{tail}"
    return f"https://drive.google.com/file/d/{an(r, 16)}/view"


def amount(r: random.Random, lo: int = 10, hi: int = 5000) -> str:
    v = r.randint(lo, hi)
    k = r.randrange(6)
    if k == 0:
        return f"${v:,}.{r.randint(0, 99):02d}"
    if k == 1:
        return f"${v:,}.00"
    if k == 2 and v >= 1000:
        return f"${v:,}"
    if k == 3:
        return f"${v}"
    return f"${v:,}" if r.random() < 0.7 else f"${v}.{r.choice(('00', '50', '25', '99'))}"


def copay_amount(r: random.Random) -> str:
    v = r.choice((10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 100, 150, 250))
    return f"${v}" if r.random() < 0.8 else f"${v}.00"


def deductible_amount(r: random.Random) -> str:
    v = r.choice((250, 500, 750, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 5000, 6000, 7500, 8700))
    return f"${v:,}" if r.random() < 0.7 else (f"${v:,}.00" if r.random() < 0.5 else f"${v}")
