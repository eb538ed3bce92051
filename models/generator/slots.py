"""Slot functions: each returns fragments, the value as a labelled span and any cue as plain text.

Persona values (the patient's name, DOB, phone, carrier, member ID) are memoised per
message so repeats refer to the same person, as in real messages.
"""

from __future__ import annotations

import random

from . import dates, ids, pools, spoken
from .builder import Ctx, Frag, lit, phi, render, slot
from .validate import CUE_RE


def _memo(ctx: Ctx, key: str, make: object) -> list[Frag]:
    got = ctx.memo.get(key)
    if got is None:
        got = make(ctx)  # type: ignore[operator]
        ctx.memo[key] = got
    return got


def _c(r: random.Random, cues: tuple[str, ...]) -> str:
    return cues[r.randrange(len(cues))]


# ---------------------------------------------------------------- names
def person(r: random.Random) -> tuple[str, str]:
    return r.choice(pools.FIRST), r.choice(pools.LAST)


def full_name_text(r: random.Random, first: str, last: str) -> str:
    k = r.random()
    if k < 0.72:
        return f"{first} {last}"
    if k < 0.8:
        return f"{first} {r.choice(pools.FIRST)} {last}"
    if k < 0.88:
        return f"{first} {r.choice('ABCDEFGHJKLMNPRSTW')}. {last}"
    if k < 0.93:
        return f"{first} {last} {r.choice(pools.LAST)}" if " " not in last else f"{first} {last}"
    return f"{r.choice(pools.NICK)} {last}"


def _patient(ctx: Ctx) -> list[Frag]:
    first, last = person(ctx.rng)
    ctx.flags["pfirst"], ctx.flags["plast"] = first, last
    return [phi(full_name_text(ctx.rng, first, last), "NAME")]


@slot("PATIENT")
def s_patient(ctx: Ctx) -> list[Frag]:
    return _memo(ctx, "PATIENT", _patient)


@slot("PFIRST")
def s_pfirst(ctx: Ctx) -> list[Frag]:
    s_patient(ctx)
    return [phi(str(ctx.flags["pfirst"]), "NAME")]


@slot("SIGN")
def s_sign(ctx: Ctx) -> list[Frag]:
    """How people sign off: full name, first name, first name plus initial."""
    s_patient(ctx)
    r = ctx.rng
    first, last = str(ctx.flags["pfirst"]), str(ctx.flags["plast"])
    k = r.random()
    if k < 0.45:
        return s_patient(ctx)
    if k < 0.7:
        return [phi(first, "NAME")]
    if k < 0.85:
        return [phi(f"{first} {last[0]}", "NAME"), lit(".")]
    if k < 0.93:
        return [phi(f"{first[0]}. {last}", "NAME")]
    return [lit(r.choice(("Mrs. ", "Mr. ", "Ms. "))), phi(last, "NAME")]


@slot("PERSON")
def s_person(ctx: Ctx) -> list[Frag]:
    first, last = person(ctx.rng)
    return [phi(full_name_text(ctx.rng, first, last) if ctx.rng.random() < 0.7 else first, "NAME")]


@slot("FNAME")
def s_fname(ctx: Ctx) -> list[Frag]:
    return [phi(ctx.rng.choice(pools.FIRST), "NAME")]


@slot("KIN")
def s_kin(ctx: Ctx) -> list[Frag]:
    """A relative or household member: ``my daughter Keiko``."""
    r = ctx.rng
    first, last = person(r)
    name = first if r.random() < 0.6 else f"{first} {last}"
    return [lit(r.choice(pools.RELATIVES) + r.choice((" ", ", ", " "))), phi(name, "NAME")]


def _clin_last(ctx: Ctx) -> list[Frag]:
    return [phi(ctx.rng.choice(pools.LAST), "NAME")]


@slot("DR")
def s_dr(ctx: Ctx) -> list[Frag]:
    """A clinician with the title kept outside the span."""
    r = ctx.rng
    k = r.random()
    if k < 0.55:
        return [lit(r.choice(pools.TITLES_DR) + " "), *_memo(ctx, "DR", _clin_last)]
    if k < 0.75:
        first, last = person(r)
        return [lit(r.choice(pools.TITLES_DR) + " "), phi(f"{first} {last}", "NAME")]
    if k < 0.88:
        first, last = person(r)
        return [lit(r.choice(pools.CLINICIAN_ROLES) + " "), phi(first if r.random() < 0.6 else f"{first} {last}", "NAME")]
    first, last = person(r)
    return [phi(f"{first} {last}", "NAME"), lit(r.choice((", MD", ", NP", ", PA-C", " MD", ", DDS", ", DO")))]


@slot("DRSAME")
def s_drsame(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(("Dr. ", "Dr ", "Doctor "))), *_memo(ctx, "DR", _clin_last)]


@slot("STAFF")
def s_staff(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    first, last = person(r)
    k = r.random()
    if k < 0.55:
        return [phi(first, "NAME")]
    if k < 0.8:
        return [phi(f"{first} {last}", "NAME")]
    if k < 0.9:
        return [phi(f"{first} {last[0]}", "NAME"), lit(".")]
    return [phi(f"{first[0]}. {last}", "NAME")]


@slot("INITIALS")
def s_initials(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    first, last = person(r)
    if r.random() < 0.5:
        return [phi(f"{first[0]}. {last}", "NAME")]
    return [phi(f"{first} {last[0]}", "NAME"), lit(".")]


@slot("NOTENAME")
def s_notename(ctx: Ctx) -> list[Frag]:
    """Patient name as staff type it: ``Last, First`` or capitals."""
    s_patient(ctx)
    r = ctx.rng
    first, last = str(ctx.flags["pfirst"]), str(ctx.flags["plast"])
    k = r.random()
    if k < 0.5:
        return s_patient(ctx)
    if k < 0.8:
        return [phi(f"{last}, {first}", "NAME")]
    up = f"{last.upper()}, {first.upper()}"
    return [phi(up if len(up) == len(last) + len(first) + 2 else f"{last}, {first}", "NAME")]


# ---------------------------------------------------------------- dates, ages
@slot("DOB")
def s_dob(ctx: Ctx) -> list[Frag]:
    return _memo(ctx, "DOB", lambda c: dates.dob_frags(c.rng, c.spoken))


@slot("DOB_C")
def s_dob_c(ctx: Ctx) -> list[Frag]:
    cue = _c(
        ctx.rng, ("DOB ", "DOB: ", "dob ", "date of birth ", "date of birth is ", "born ", "D.O.B. ", "birthday ", "bday ", "b. ")
    )
    return [lit(cue), *s_dob(ctx)]


@slot("DATE")
def s_date(ctx: Ctx) -> list[Frag]:
    return dates.event_frags(ctx.rng, ctx.spoken)


@slot("DATEBARE")
def s_datebare(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    y, m, d = r.randint(2023, 2025), r.randint(1, 12), r.randint(1, 28)
    if ctx.spoken and r.random() < 0.6:
        return dates.said(r, y, m, d, False, allow_the=False)
    return [phi(dates.written(r, y, m, d, r.random() < 0.35), "DATE")]


@slot("AGE")
def s_age(ctx: Ctx) -> list[Frag]:
    """Any age: 90 and over is AGE_OVER_89, younger ages are a hard negative."""
    r = ctx.rng
    a = r.randint(90, 104) if r.random() < 0.4 else r.randint(18, 89)
    txt = spoken.words(a) if ctx.spoken and r.random() < 0.6 else str(a)
    return [phi(txt, "AGE_OVER_89")] if a >= 90 else [lit(txt)]


@slot("AGE90")
def s_age90(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    a = r.randint(90, 106)
    return [phi(spoken.words(a) if ctx.spoken and r.random() < 0.6 else str(a), "AGE_OVER_89")]


@slot("AGEYOUNG")
def s_ageyoung(ctx: Ctx) -> list[Frag]:
    """A child's age (hard negative)."""
    return [lit(str(ctx.rng.randint(1, 17)))]


@slot("AGEADULT")
def s_ageadult(ctx: Ctx) -> list[Frag]:
    """An adult age under 90 (hard negative)."""
    r = ctx.rng
    a = r.randint(18, 89)
    return [lit(spoken.words(a) if ctx.spoken and r.random() < 0.6 else str(a))]


@slot("YEAR")
def s_year(ctx: Ctx) -> list[Frag]:
    return [lit(str(ctx.rng.randint(1995, 2025)))]


@slot("WEEKDAY")
def s_weekday(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(pools.WEEKDAYS))]


@slot("TIME")
def s_time(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    h = r.randint(7, 17)
    h12 = h if h <= 12 else h - 12
    k = r.randrange(5)
    ap = "am" if h < 12 else "pm"
    return [
        lit(
            (
                f"{h12}{ap}",
                f"{h12}:{r.choice(('00', '15', '30', '45'))} {ap.upper()}",
                f"{h12}:30{ap}",
                f"{h12} o'clock",
                f"{h}:{r.choice(('00', '15', '30', '45'))}",
            )[k]
        )
    ]


@slot("RELDATE")
def s_reldate(ctx: Ctx) -> list[Frag]:
    return [
        lit(
            ctx.rng.choice(
                (
                    "tomorrow",
                    "yesterday",
                    "next week",
                    "last week",
                    "this morning",
                    "tonight",
                    "in two weeks",
                    "last month",
                    "a few days ago",
                    "this weekend",
                    "next Tuesday",
                    "last Friday",
                    "today",
                )
            )
        )
    ]


# ---------------------------------------------------------------- contact
def _phone_value(ctx: Ctx) -> str:
    v = ids.phone(ctx.rng)
    if ctx.spoken and ctx.rng.random() < 0.7:
        return spoken.spell_digits(
            v.replace("+1 ", "").replace("1-", "", 1) if v.startswith(("+1", "1-")) else v, ctx.rng, ctx.rng.random() < 0.8
        )
    return v


@slot("PHONE")
def s_phone(ctx: Ctx) -> list[Frag]:
    return _memo(ctx, "PHONE", lambda c: [phi(_phone_value(c), "PHONE")])


@slot("PHONE2")
def s_phone2(ctx: Ctx) -> list[Frag]:
    return [phi(_phone_value(ctx), "PHONE")]


@slot("PHONE_C")
def s_phone_c(ctx: Ctx) -> list[Frag]:
    cue = _c(
        ctx.rng,
        (
            "call me at ",
            "my number is ",
            "cell ",
            "cell: ",
            "ph ",
            "phone: ",
            "reach me at ",
            "text me at ",
            "best number is ",
            "call back at ",
            "you can call ",
            "mobile ",
            "c: ",
            "home phone ",
            "tel. ",
        ),
    )
    out = [lit(cue), *s_phone(ctx)]
    if ctx.rng.random() < 0.08:
        out.append(lit(f" ext {ctx.rng.randint(10, 4999)}"))
    return out


@slot("FAX")
def s_fax(ctx: Ctx) -> list[Frag]:
    return [phi(_phone_value(ctx), "FAX")]


@slot("FAX_C")
def s_fax_c(ctx: Ctx) -> list[Frag]:
    cue = _c(ctx.rng, ("fax ", "fax: ", "fax it to ", "their fax is ", "f: ", "fax number ", "faxed to ", "fax #", "secure fax "))
    return [lit(cue), *s_fax(ctx)]


def _email_value(ctx: Ctx) -> str:
    s_patient(ctx)
    v = ids.email(ctx.rng, str(ctx.flags["pfirst"]), str(ctx.flags["plast"]))
    return spoken.email_words(v) if ctx.spoken and ctx.rng.random() < 0.8 else v


@slot("EMAIL")
def s_email(ctx: Ctx) -> list[Frag]:
    return _memo(ctx, "EMAIL", lambda c: [phi(_email_value(c), "EMAIL")])


@slot("EMAIL2")
def s_email2(ctx: Ctx) -> list[Frag]:
    first, last = person(ctx.rng)
    return [phi(ids.email(ctx.rng, first, last), "EMAIL")]


@slot("URL")
def s_url(ctx: Ctx) -> list[Frag]:
    return [phi(ids.url(ctx.rng), "URL")]


@slot("IP")
def s_ip(ctx: Ctx) -> list[Frag]:
    return [phi(ids.ip(ctx.rng), "IP")]


# ---------------------------------------------------------------- places
def _zip(r: random.Random, prefix: str) -> str:
    z = prefix + ids.dg(r, 2)
    return z + "-" + ids.dg(r, 4) if r.random() < 0.1 else z


def address_text(r: random.Random) -> str:
    city, st, zp = r.choice(pools.CITIES)
    num = str(r.randint(1, 29999))
    street = f"{num} {r.choice(pools.STREET_NAMES)} {r.choice(pools.STREET_TYPES)}"
    if r.random() < 0.15:
        street = (
            f"{num} {r.choice(('N', 'S', 'E', 'W', 'NE', 'SW'))} {r.choice(pools.STREET_NAMES)} {r.choice(pools.STREET_TYPES)}"
        )
    if r.random() < 0.25:
        street += r.choice((", ", " ")) + r.choice(pools.UNITS)
    k = r.random()
    if k < 0.55:
        return f"{street}, {city}, {st} {_zip(r, zp)}"
    if k < 0.7:
        return f"{street} {city} {st} {_zip(r, zp)}"
    if k < 0.8:
        return f"{street}, {city} {st}"
    if k < 0.9:
        return f"{street}, {city}"
    return street


@slot("ADDRESS")
def s_address(ctx: Ctx) -> list[Frag]:
    return _memo(ctx, "ADDRESS", lambda c: [phi(address_text(c.rng), "LOC")])


@slot("CITY")
def s_city(ctx: Ctx) -> list[Frag]:
    """A city, with a following state abbreviation or name kept outside the span."""
    r = ctx.rng
    city, st, _ = r.choice(pools.CITIES)
    k = r.random()
    if k < 0.4:
        return [phi(city, "LOC"), lit(", " + st)]
    if k < 0.5:
        return [phi(city, "LOC"), lit(" " + st)]
    return [phi(city, "LOC")]


@slot("HOOD")
def s_hood(ctx: Ctx) -> list[Frag]:
    return [phi(ctx.rng.choice(pools.NEIGHBORHOODS), "LOC")]


@slot("ZIP")
def s_zip(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    _, _, zp = r.choice(pools.CITIES)
    z = _zip(r, zp)
    return [phi(spoken.spell_digits(z, r) if ctx.spoken and r.random() < 0.6 else z, "LOC")]


@slot("COUNTY")
def s_county(ctx: Ctx) -> list[Frag]:
    return [phi(ctx.rng.choice(pools.COUNTIES), "LOC")]


@slot("STATE")
def s_state(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(pools.STATE_NAMES))]


@slot("COUNTRY")
def s_country(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(pools.COUNTRIES))]


@slot("PRACTICE")
def s_practice(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(pools.PRACTICES))]


# ---------------------------------------------------------------- identifiers
def _sp_id(ctx: Ctx, v: str) -> str:
    """In voicemail an ID is often read out character by character."""
    if ctx.spoken and ctx.rng.random() < 0.55:
        return spoken.spell_id(v, ctx.rng)
    return v


def _idslot(name: str, label: str, ins_label: str | None, gen: object, cues: tuple[str, ...], memo: bool = True) -> None:
    def value(ctx: Ctx) -> list[Frag]:
        v = gen(ctx.rng)  # type: ignore[operator]
        while CUE_RE.match(v):  # a random letter group can spell a cue word ("SUB 571"); draw again
            v = gen(ctx.rng)  # type: ignore[operator]
        return [phi(_sp_id(ctx, v), label, ins_label)]

    def bare(ctx: Ctx) -> list[Frag]:
        return _memo(ctx, name, value) if memo else value(ctx)

    def cued(ctx: Ctx) -> list[Frag]:
        return [lit(_c(ctx.rng, cues)), *bare(ctx)]

    slot(name)(bare)
    slot(name + "_C")(cued)


_idslot(
    "MRN",
    "MRN",
    None,
    ids.mrn,
    (
        "MRN ",
        "MRN: ",
        "MRN# ",
        "MRN #",
        "mrn ",
        "med rec # ",
        "medical record number ",
        "medical record # ",
        "chart # ",
        "chart number ",
        "chart no. ",
        "patient ID ",
        "patient id: ",
        "pt ID ",
        "Patient #",
        "record number ",
        "MR# ",
        "hospital number ",
        "clinic ID ",
        "my chart number is ",
        "my MRN is ",
        "patient number ",
        "ID# ",
    ),
)
_idslot(
    "MEMBERID",
    "HEALTH_PLAN",
    "MEMBER_ID",
    ids.member_id,
    (
        "member ID ",
        "member id ",
        "Member ID: ",
        "member # ",
        "member number ",
        "ID# ",
        "ID #",
        "id ",
        "subscriber ID ",
        "sub ID ",
        "subscriber # ",
        "subscriber no. ",
        "insurance ID ",
        "ins ID ",
        "mem ID ",
        "ID number ",
        "member no. ",
        "my member ID is ",
        "the ID on my card is ",
        "card ID ",
        "MBI ",
        "beneficiary ID ",
    ),
)
_idslot("MEMBERID2", "HEALTH_PLAN", "MEMBER_ID", ids.member_id, ("member ID ", "ID ", "member # ", "ID number ", "sub id "))
_idslot(
    "GROUPNO",
    "HEALTH_PLAN",
    "GROUP_NUMBER",
    ids.group_number,
    (
        "group # ",
        "group number ",
        "grp ",
        "grp# ",
        "GRP ",
        "Group: ",
        "group no. ",
        "group ",
        "grp no ",
        "group ID ",
        "employer group ",
        "group num ",
    ),
)
_idslot(
    "POLICYNO",
    "HEALTH_PLAN",
    "POLICY_NUMBER",
    ids.policy_number,
    (
        "policy # ",
        "policy number ",
        "policy no. ",
        "pol # ",
        "Policy: ",
        "policy ",
        "policy num ",
        "the policy number is ",
        "policy ID ",
    ),
)
_idslot(
    "ACCOUNT",
    "ACCOUNT",
    None,
    ids.account,
    (
        "account # ",
        "account number ",
        "acct ",
        "acct# ",
        "Acct #",
        "account ",
        "patient account ",
        "billing account ",
        "guarantor account ",
        "acct no. ",
        "A/C ",
        "my account number is ",
        "account ID ",
    ),
)
_idslot(
    "STATEMENT",
    "ACCOUNT",
    None,
    ids.statement,
    (
        "statement # ",
        "statement number ",
        "invoice ",
        "invoice # ",
        "inv # ",
        "bill # ",
        "statement ID ",
        "reference # ",
        "ref # ",
        "ref no ",
        "confirmation # ",
        "receipt # ",
    ),
)
_idslot(
    "CLAIM",
    "ACCOUNT",
    "CLAIM_ID",
    ids.claim,
    (
        "claim # ",
        "claim number ",
        "claim ",
        "Claim ID ",
        "clm ",
        "clm# ",
        "claim no. ",
        "claim ref ",
        "EOB claim # ",
        "the claim number is ",
        "claim#",
    ),
    memo=False,
)
_idslot(
    "AUTH",
    "ACCOUNT",
    "AUTH_NUMBER",
    ids.auth,
    (
        "auth # ",
        "prior auth ",
        "prior auth # ",
        "authorization number ",
        "PA # ",
        "referral # ",
        "ref no ",
        "referral number ",
        "auth code ",
        "authorization ",
        "auth ",
        "approval # ",
        "precert # ",
        "the referral number is ",
        "auth no. ",
    ),
    memo=False,
)
_idslot(
    "SSN",
    "SSN",
    None,
    ids.ssn,
    (
        "SSN ",
        "SSN: ",
        "ssn ",
        "social ",
        "social security number ",
        "social security # ",
        "SS# ",
        "soc sec ",
        "my social is ",
        "SSN is ",
    ),
)
_idslot(
    "SSN4",
    "SSN",
    None,
    ids.ssn_last4,
    (
        "last 4 of my SSN is ",
        "last four of my social is ",
        "last 4 SSN ",
        "SSN ending ",
        "ssn last 4: ",
        "last 4 of social ",
        "SS# ends in ",
        "last four SSN ",
        "social ending in ",
    ),
)
_idslot(
    "DL",
    "LICENSE",
    None,
    ids.drivers_license,
    (
        "driver's license ",
        "drivers license # ",
        "DL ",
        "DL# ",
        "DL: ",
        "license # ",
        "driver license number ",
        "state ID ",
        "my license number is ",
        "lic # ",
        "driver's lic ",
        "ID card # ",
    ),
)
_idslot(
    "PROFLIC",
    "LICENSE",
    None,
    ids.professional_license,
    (
        "license # ",
        "license number ",
        "state license ",
        "lic. ",
        "medical license ",
        "nursing license ",
        "board license # ",
    ),
)
_idslot("DEA", "LICENSE", None, ids.dea, ("DEA ", "DEA # ", "DEA number ", "DEA#", "DEA reg "))
_idslot(
    "PLATE",
    "VEHICLE",
    None,
    ids.plate,
    (
        "plate ",
        "plate # ",
        "license plate ",
        "plate number ",
        "tag ",
        "tag # ",
        "plates ",
        "license plate number ",
    ),
)
_idslot("VIN", "VEHICLE", None, ids.vin, ("VIN ", "VIN: ", "VIN # ", "vin ", "vehicle ID ", "VIN number "))
_idslot(
    "SERIAL",
    "DEVICE",
    None,
    ids.device_serial,
    (
        "serial ",
        "serial # ",
        "serial number ",
        "SN ",
        "S/N ",
        "SN: ",
        "serial no. ",
        "device ID ",
        "device serial ",
        "ser# ",
        "transmitter ID ",
        "pump serial ",
        "the serial is ",
        "unit # ",
    ),
)
_idslot(
    "BIO",
    "BIOMETRIC",
    None,
    ids.biometric,
    (
        "voiceprint ID ",
        "fingerprint ID ",
        "fingerprint record ",
        "retina scan ID ",
        "DNA sample ID ",
        "sample ID ",
        "biometric ID ",
        "voice ID ",
        "palm scan ID ",
        "iris scan # ",
        "DNA kit # ",
        "genetic sample # ",
        "finger scan ID ",
        "biometric enrollment # ",
        "face ID record ",
    ),
)
_idslot(
    "PHOTO",
    "PHOTO_REF",
    None,
    ids.photo_ref,
    (
        "",
        "",
        "photo ",
        "picture ",
        "attached ",
        "image ",
        "file ",
        "photo ID ",
        "pic ",
        "see ",
        "screenshot ",
    ),
    memo=False,
)


@slot("CARD")
def s_card(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    if r.random() < 0.55:
        cue = _c(
            r,
            (
                "card ending in ",
                "card ending ",
                "the card that ends in ",
                "Visa ending ",
                "last 4 of the card ",
                "card ending in ",
            ),
        )
        return [lit(cue), phi(ids.dg(r, 4), "ACCOUNT")]
    cue = _c(r, ("card number ", "card # ", "credit card ", "my Visa ", "debit card ", "card: "))
    return [lit(cue), phi(ids.card_number(r), "ACCOUNT")]


@slot("BANK")
def s_bank(ctx: Ctx) -> list[Frag]:
    cue = _c(ctx.rng, ("bank account ", "checking account # ", "acct ending ", "routing and account ", "checking acct "))
    return [lit(cue), phi(ids.bank_account(ctx.rng), "ACCOUNT")]


# ---------------------------------------------------------------- insurance
def _carrier(ctx: Ctx) -> list[Frag]:
    return [(ctx.rng.choice(pools.CARRIERS), None, "CARRIER")]


@slot("CARRIER")
def s_carrier(ctx: Ctx) -> list[Frag]:
    return _memo(ctx, "CARRIER", _carrier)


@slot("CARRIER2")
def s_carrier2(ctx: Ctx) -> list[Frag]:
    return [(ctx.rng.choice(pools.CARRIERS), None, "CARRIER")]


@slot("AUTOINS")
def s_autoins(ctx: Ctx) -> list[Frag]:
    return [(ctx.rng.choice(pools.AUTO_CARRIERS), None, "CARRIER")]


@slot("MEDICAID")
def s_medicaid(ctx: Ctx) -> list[Frag]:
    return [(ctx.rng.choice(pools.MEDICAID_LIKE), None, "CARRIER")]


@slot("MEDICARE")
def s_medicare(ctx: Ctx) -> list[Frag]:
    return [(ctx.rng.choice(("Medicare", "Medicare", "medicare", "MEDICARE")), None, "CARRIER")]


@slot("PLANTYPE")
def s_plantype(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    p = r.choice(pools.PLAN_TYPES)
    out: list[Frag] = [(p, None, "PLAN_TYPE")]
    if p == "Medigap" and r.random() < 0.6:
        out.append(lit(" Plan " + r.choice("GNFK")))
    return out


@slot("REL")
def s_rel(ctx: Ctx) -> list[Frag]:
    return [
        (
            ctx.rng.choice(("husband", "wife", "spouse", "partner", "dad", "mom", "father", "mother", "parent", "stepdad")),
            None,
            "RELATIONSHIP",
        )
    ]


@slot("RELWORD")
def s_relword(ctx: Ctx) -> list[Frag]:
    """A family word outside any insurance context: not a RELATIONSHIP span."""
    return [lit(ctx.rng.choice(("husband", "wife", "spouse", "partner", "dad", "mom", "father", "mother", "son", "daughter")))]


@slot("RELSELF")
def s_relself(ctx: Ctx) -> list[Frag]:
    return [(ctx.rng.choice(("self", "Self", "dependent", "child", "spouse", "son", "daughter")), None, "RELATIONSHIP")]


@slot("SUBSCRIBER")
def s_subscriber(ctx: Ctx) -> list[Frag]:
    def make(c: Ctx) -> list[Frag]:
        first, last = person(c.rng)
        if c.rng.random() < 0.5 and "plast" in c.flags:
            last = str(c.flags["plast"])
        return [phi(f"{first} {last}", "NAME", "SUBSCRIBER_NAME")]

    return _memo(ctx, "SUBSCRIBER", make)


@slot("SELFSUB")
def s_selfsub(ctx: Ctx) -> list[Frag]:
    """The patient named as the subscriber."""
    name = s_patient(ctx)[0][0]
    return [phi(name, "NAME", "SUBSCRIBER_NAME")]


def _amount(ctx: Ctx, label: str, gen: object) -> list[Frag]:
    r = ctx.rng
    if ctx.spoken and r.random() < 0.6:
        v = r.choice((35, 40, 50, 75, 125, 180, 240, 312, 450, 640, 875, 1200, 1500, 2500, 4500, 3200))
        return [(spoken.amount_words(v, r), None, label)]
    return [(gen(r), None, label)]  # type: ignore[operator]


@slot("COPAY")
def s_copay(ctx: Ctx) -> list[Frag]:
    return _amount(ctx, "COPAY", ids.copay_amount)


@slot("DEDUCT")
def s_deduct(ctx: Ctx) -> list[Frag]:
    return _amount(ctx, "DEDUCTIBLE", ids.deductible_amount)


@slot("BILLED")
def s_billed(ctx: Ctx) -> list[Frag]:
    return _amount(ctx, "BILLED_AMOUNT", ids.amount)


@slot("PRICE")
def s_price(ctx: Ctx) -> list[Frag]:
    """A quoted or asked-about price: never an insurance field."""
    r = ctx.rng
    if ctx.spoken and r.random() < 0.5:
        return [lit(spoken.amount_words(r.choice((90, 150, 200, 350, 800, 1200)), r))]
    return [lit(ids.amount(r, 40, 3000))]


# ---------------------------------------------------------------- clinical vocabulary (hard negatives)
def _pool_slot(name: str, pool: tuple[str, ...]) -> None:
    def fn(ctx: Ctx) -> list[Frag]:
        return [lit(ctx.rng.choice(pool))]

    slot(name)(fn)


for _n, _p in (
    ("DRUG", pools.DRUGS),
    ("DOSE", pools.DOSES),
    ("MODEL", pools.DEVICE_MODELS),
    ("DEVKIND", pools.DEVICE_KINDS),
    ("PROC", pools.PROCEDURES),
    ("SYMPTOM", pools.SYMPTOMS),
    ("LAB", pools.LAB_VALUES),
    ("CODE", pools.CODES),
    ("ROLE", pools.STAFF_ROLES),
):
    _pool_slot(_n, _p)


@slot("NUM")
def s_num(ctx: Ctx) -> list[Frag]:
    return [lit(str(ctx.rng.randint(2, 12)))]


@slot("ROOM")
def s_room(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    return [lit(r.choice(("room ", "Rm ", "suite ", "exam room ", "bed ")) + str(r.randint(1, 450)))]


@slot("RATING")
def s_rating(ctx: Ctx) -> list[Frag]:
    r = ctx.rng
    return [lit(r.choice((f"{r.randint(0, 2)}/5", f"{r.randint(1, 3)} out of 10", "zero stars", "1 star")))]


def fill(ctx: Ctx, template: str) -> list[Frag]:
    return render(template, ctx)
