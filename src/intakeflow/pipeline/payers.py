"""Canonical names of common US payers, for the CARRIER field of the insurance JSON.

Lookup compares names on letters and digits only (``United Health Care`` ==
``UnitedHealthcare``), after ``&`` -> ``and``. Blue Cross Blue Shield plans keep their
state: ``BCBS TX``, ``Blue Cross of Texas`` and ``BlueCross BlueShield of Texas`` all
become ``Blue Cross Blue Shield of Texas``; without a state the name is ``Blue Cross Blue
Shield``. Independent Blue brands (Anthem, Highmark, CareFirst, Florida Blue, Premera,
Regence, ...) keep their brand. Names are brands as printed on member cards; the list
is general knowledge of large national and regional payers, not exhaustive.
"""

from __future__ import annotations

import re

from intakeflow.spec import US_STATE_NAMES

BCBS = "Blue Cross Blue Shield"

#: canonical name -> other spellings (compared on letters and digits only)
ALIASES: dict[str, tuple[str, ...]] = {
    "Aetna": ("aetna", "aetna cvs health", "aetna health", "aetna better health", "aetna medicare"),
    "Anthem": (
        "anthem", "anthem blue cross", "anthem blue cross blue shield", "anthem bcbs", "anthem bc",
        "elevance", "elevance health",
    ),
    BCBS: ("bcbs", "blue cross", "blue cross blue shield", "blue cross and blue shield", "the blues",
           "bluecross", "blue shield"),
    "Blue Shield of California": ("blue shield of california", "blue shield california", "blue shield ca"),
    "Cigna": ("cigna", "cigna healthcare", "cigna health", "evernorth"),
    "Humana": ("humana", "humana medicare", "humana gold plus"),
    "UnitedHealthcare": (
        "unitedhealthcare", "uhc", "united", "united health", "unitedhealth", "united healthcare",
        "united health group", "unitedhealth group", "uhc community plan",
    ),
    "Kaiser Permanente": ("kaiser", "kaiser permanente", "kp", "kaiser foundation health plan"),
    "Centene": ("centene",),
    "Ambetter": ("ambetter", "ambetter health", "ambetter from centene"),
    "WellCare": ("wellcare", "well care"),
    "Molina Healthcare": ("molina", "molina healthcare"),
    "Medicare": ("medicare", "original medicare", "traditional medicare", "cms", "medicare part a",
                 "medicare part b"),
    "Medicaid": ("medicaid", "state medicaid"),
    "Medi-Cal": ("medi cal", "medical california"),
    "TRICARE": ("tricare", "tri care", "tricare prime", "tricare select", "tricare for life", "champus"),
    "Oscar Health": ("oscar", "oscar health"),
    "Highmark": ("highmark", "highmark bcbs", "highmark blue cross blue shield"),
    "CareFirst": ("carefirst", "carefirst bcbs", "carefirst blue cross blue shield", "carefirst bluecross blueshield"),
    "Health Net": ("health net", "healthnet"),
    "Delta Dental": ("delta dental", "delta"),
    "VSP": ("vsp", "vsp vision", "vsp vision care", "vision service plan"),
    "EyeMed": ("eyemed", "eye med"),
    "MetLife": ("metlife", "met life", "metlife dental"),
    "Guardian": ("guardian", "guardian dental", "guardian life"),
    "Florida Blue": ("florida blue",),
    "Horizon Blue Cross Blue Shield of New Jersey": ("horizon", "horizon bcbs", "horizon bcbsnj",
                                                     "horizon blue cross blue shield"),
    "Independence Blue Cross": ("independence blue cross", "ibx", "independence"),
    "Premera Blue Cross": ("premera", "premera blue cross"),
    "Regence": ("regence", "regence blueshield", "regence bluecross blueshield"),
    "Wellmark": ("wellmark", "wellmark bcbs", "wellmark blue cross blue shield"),
    "Excellus BlueCross BlueShield": ("excellus", "excellus bcbs"),
    "Capital Blue Cross": ("capital blue cross", "capital blue"),
    "CareSource": ("caresource", "care source"),
    "EmblemHealth": ("emblem", "emblemhealth", "emblem health", "ghi"),
    "Fidelis Care": ("fidelis", "fidelis care"),
    "Healthfirst": ("healthfirst",),
    "Harvard Pilgrim Health Care": ("harvard pilgrim", "harvard pilgrim health care"),
    "Tufts Health Plan": ("tufts", "tufts health plan"),
    "Point32Health": ("point32health", "point 32 health"),
    "Geisinger Health Plan": ("geisinger", "geisinger health plan"),
    "Priority Health": ("priority health",),
    "HealthPartners": ("healthpartners", "health partners"),
    "Medical Mutual": ("medical mutual", "medical mutual of ohio"),
    "Mutual of Omaha": ("mutual of omaha",),
    "Bright Health": ("bright health", "brighthealth"),
    "Devoted Health": ("devoted", "devoted health"),
    "Alignment Health": ("alignment health",),
    "SCAN Health Plan": ("scan health plan",),
    "UPMC Health Plan": ("upmc health plan", "upmc"),
    "Presbyterian Health Plan": ("presbyterian health plan",),
    "AmeriHealth": ("amerihealth", "amerihealth caritas"),
    "Magellan Health": ("magellan", "magellan health"),
    "Optum": ("optum", "optumrx"),
    "Aflac": ("aflac",),
    "State Farm": ("state farm",),
    "GEICO": ("geico",),
    "Progressive": ("progressive", "progressive insurance"),
    "Allstate": ("allstate",),
    "Liberty Mutual": ("liberty mutual",),
    "USAA": ("usaa",),
    "Farmers Insurance": ("farmers", "farmers insurance"),
    "Nationwide": ("nationwide",),
    "Travelers": ("travelers",),
}  # fmt: skip

_TRAILING_NOISE = re.compile(
    r"\s+(?:insurance(?:\s+company)?|ins|health\s+insurance|health\s+plans?|plans?|medical|coverage|co)$"
)
_BLUE = re.compile(
    r"^(?:bcbs|blue\s*cross(?:\s*(?:and\s+)?blue\s*shield)?|bluecross(?:\s*blueshield)?|bc\s*bs)"
    r"\s*(?:of\s+(?:the\s+)?)?(?P<state>[a-z .]+)$"
)
_STATE_BY_NAME = {name.lower(): name for name in US_STATE_NAMES.values()}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold().replace("&", "and"))


_LOOKUP: dict[str, str] = {_key(alias): canon for canon, aliases in ALIASES.items() for alias in (canon, *aliases)}


def _spaced(name: str) -> str:
    lowered = name.casefold().replace("&", " and ")
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]", " ", lowered)).strip()


def _state(text: str) -> str | None:
    text = text.strip(" .")
    if text.upper() in US_STATE_NAMES and len(text) == 2:
        return US_STATE_NAMES[text.upper()]
    return _STATE_BY_NAME.get(text)


def _blue_with_state(spaced: str) -> str | None:
    # "bcbstx" written as one word
    if spaced.startswith("bcbs") and len(spaced) == 6 and spaced[4:].upper() in US_STATE_NAMES:
        return f"{BCBS} of {US_STATE_NAMES[spaced[4:].upper()]}"
    m = _BLUE.match(spaced)
    if m is None:
        return None
    state = _state(m.group("state"))
    return f"{BCBS} of {state}" if state else None


def canonical_payer(name: str) -> str | None:
    """The canonical payer name for ``name``, or ``None`` when the payer is not known."""
    spaced = _spaced(name)
    if spaced.startswith("the "):
        spaced = spaced[4:]
    for candidate in (spaced, _TRAILING_NOISE.sub("", spaced)):
        hit = _LOOKUP.get(_key(candidate)) or _blue_with_state(candidate)
        if hit:
            return hit
    return None
