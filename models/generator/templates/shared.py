"""Sentences shared by every intent: who is writing, extra identifiers, insurance, hard negatives."""

from __future__ import annotations

from ..builder import Ctx, Frag, lit, phi, pick, slot
from ..slots import s_email

INTRO = [
    "This is {PATIENT}[, {DOB_C}|].",
    "My name is {PATIENT}[ and my {DOB_C}|].",
    "It's {PATIENT} here[, {DOB_C}|].",
    "{PATIENT} here, {DOB_C}.",
    "I'm writing on behalf of my [mother|father|son|daughter|husband|wife|grandmother], {PATIENT}[, {DOB_C}|].",
    "I'm a patient of {DR}.",
    "[Patient|Pt] name: {PATIENT}, {DOB_C}.",
    "This is {PATIENT}, [a patient of {DR}|{MRN_C}|{DOB_C}].",
    "My name's {PFIRST}, I see {DR}.",
    "Hi it's {PFIRST}[ {DOB_C}|].",
]

# Extra sentences, keyed by the PHI/insurance type they add, so rare types can be boosted.
EXTRA: dict[str, list[str]] = {
    "MRN": [
        "My {MRN_C}.",
        "[For reference|FYI], {MRN_C}.",
        "{MRN_C} if that helps.",
        "Chart: {MRN}.",
        "I think my patient number is {MRN}, it's on the wristband from last time.",
    ],
    "DOB": ["My {DOB_C}.", "[Date of birth|DOB|Birthday] is {DOB}.", "(DOB {DOB})", "born {DOB}."],
    "PHONE": [
        "[You can|Please] {PHONE_C}.",
        "Best number: {PHONE}.",
        "{PHONE_C}[ after {TIME}|].",
        "My cell is {PHONE} and work is {PHONE2}.",
        "Call me back at {PHONE} please.",
    ],
    "FAX": [
        "Their {FAX_C}.",
        "If you need to fax anything, {FAX_C}.",
        "My work {FAX_C} and phone {PHONE}.",
        "[The other office|My lawyer|The surgeon's office|HR] said to fax it to {FAX}.",
    ],
    "EMAIL": [
        "My email is {EMAIL}.",
        "[You can|Feel free to] email me at {EMAIL}.",
        "Email: {EMAIL}",
        "Send it to {EMAIL}[ please|].",
        "My {KIN}'s email is {EMAIL2} if I don't answer.",
    ],
    "ADDRESS": ["My address is {ADDRESS}.", "I moved, new address: {ADDRESS}.", "Mail it to {ADDRESS}.", "We live at {ADDRESS}."],
    "CITY": [
        "I live in {CITY}.",
        "We're over in {CITY} so it's a drive.",
        "I'm in {HOOD} near the [library|high school|Costco].",
        "I'd prefer the {HOOD} office.",
        "I work in {CITY} during the week.",
        "Our ZIP is {ZIP}.",
        "We just moved to {COUNTY}.",
    ],
    "AGE": [
        "[I'm|I am] {AGE}.",
        "[She's|He's] {AGE90}[ years old|].",
        "My [mother|father|grandma|aunt] is {AGE90}.",
        "(patient is {AGE90})",
        "I'm {AGEADULT} years old.",
    ],
    "SSN": ["[They|The form] asked for my SSN, it's {SSN}.", "The {SSN4_C}.", "{SSN_C}.", "For verification, {SSN4_C}."],
    "ACCOUNT": ["{ACCOUNT_C}.", "My {ACCOUNT_C}.", "The statement says {STATEMENT_C}.", "I paid with my {CARD}."],
    "LICENSE": [
        "My {DL_C}.",
        "For ID, {DL_C}[, issued in {STATE}|].",
        "My {KIN}'s {DL_C}.",
        "The pharmacist's {PROFLIC_C}.",
        "{DRSAME}'s {DEA_C} is on the script.",
        "I'm a nurse, {PROFLIC_C}.",
    ],
    "VEHICLE": [
        "I'll be in a [silver|black|white|red|blue] [Camry|Civic|F-150|RAV4|Outback|minivan], {PLATE_C}.",
        "The car's {VIN_C}.",
        "My {PLATE_C}[, {STATE} plates|].",
        "[Parking pass is for|I registered] {PLATE}.",
    ],
    "DEVICE": [
        "My {DEVKIND} is a {MODEL}, {SERIAL_C}.",
        "Device {SERIAL_C}.",
        "The {DEVKIND} {SERIAL_C}.",
        "[My|The] {MODEL} ({SERIAL_C}) [is new|was replaced {DATE}].",
    ],
    "URL": ["[Here's|The] link: {URL}", "I saw it on {URL}.", "[I tried|Tried] {URL} but it didn't work.", "My profile: {URL}"],
    "IP": ["[Submitted from|My IP is] {IP}.", "The portal says my login was blocked from {IP}."],
    "BIOMETRIC": ["The {BIO_C}.", "[For the kiosk|For check-in], {BIO_C}.", "Lab {BIO_C}."],
    "PHOTO": [
        "I attached {PHOTO}.",
        "See attached photo {PHOTO}.",
        "[Uploaded|Sent] {PHOTO} and {PHOTO}.",
        "Photo of my [ID|card] is {PHOTO}.",
    ],
    "NAME": [
        "My {KIN} [will be coming with me|is helping me with this|can also be contacted].",
        "{DR} [knows my history|referred me].",
        "I spoke with {STAFF} [earlier|last week|on the phone].",
        "Emergency contact is my {KIN}, {PHONE2}.",
    ],
    "DATE": ["My last visit was {DATE}.", "This started {DATE}.", "I was seen {DATE} by {DR}.", "[Since|After] {DATE}."],
    "AUTH": [
        "The referral number is {AUTH}.",
        "{CARRIER} gave me {AUTH_C} for it.",
        "Prior auth was approved, {AUTH_C}.",
        "My {AUTH_C} expires {DATE}.",
        "[They said|I was told] the referral from {DR} is {AUTH_C}.",
        "The authorization for my {PROC} is {AUTH}[, approved {DATE}|].",
    ],
    "CLAIM": [
        "{CARRIER} says {CLAIM_C} is still pending.",
        "The EOB lists {CLAIM_C}.",
        "Reference: {CLAIM_C}.",
        "[My|The] {CLAIM_C} was [denied|processed|reprocessed] {DATE}.",
        "There are two claims, {CLAIM} and {CLAIM}.",
    ],
    "INS": [
        "My insurance is {CARRIER}[ {PLANTYPE}|], {MEMBERID_C}.",
        "I have {CARRIER} {PLANTYPE} through my {REL}'s job.",
        "Insurance: {CARRIER}, {MEMBERID_C}, {GROUPNO_C}.",
        "[Primary|Main insurance] is {CARRIER}, secondary is {CARRIER2}.",
        "The subscriber is my {REL}, {SUBSCRIBER}.",
        "I'm on my {REL}'s plan, {CARRIER}, {POLICYNO_C}.",
        "{CARRIER} {PLANTYPE}, copay is {COPAY}.",
        "My deductible is {DEDUCT}[ and I've met about half|].",
        "Coverage is through {CARRIER} ({PLANTYPE}); policy holder {SUBSCRIBER}, relationship: {RELSELF}.",
        "I have {MEDICAID} [now|as of {DATE}], {MEMBERID_C}.",
        "My {MEDICARE} number is {MEMBERID}.",
        "{MEDICAID} ID {MEMBERID}.",
        "I have {MEDICARE} [Part B|as primary] and {CARRIER2} as a supplement.",
    ],
}

# Hard negatives: look like identifiers or dates but are never spans.
NEGATIVE = [
    "I've been coming here since {YEAR}.",
    "I'm usually free on {WEEKDAY}s.",
    "Any time after {TIME} works.",
    "I take {DRUG} {DOSE} [daily|twice a day|at night].",
    "Last {LAB}.",
    "It was billed as {CODE}.",
    "I use a {MODEL}.",
    "I was at {PRACTICE} before.",
    "We moved from {STATE} [in {YEAR}|last year].",
    "I'm {AGEADULT}[ years old|].",
    "It happened {RELDATE}.",
    "Ext. {NUM}{NUM} at work.",
    "I was in {ROOM} last time.",
    "Rated it {RATING} on the survey.",
    "I grew up in {COUNTRY}.",
    "I've had [2|3|4|5] visits this year.",
    "The parking garage charges $[5|8|12] now.",
    "Took {DOSE} of {DRUG} {RELDATE}.",
    "My kids are {AGEYOUNG} and {AGEYOUNG}.",
    "Back in {YEAR} I had the same thing.",
    "I can do {WEEKDAY} or {WEEKDAY} morning.",
    "The copay card from the drug company covers most of it.",
    "I called {RELDATE} around {TIME}.",
    "It's been about {NUM} weeks.",
    "My {LAB} at my last check.",
]

GREETING = [
    "Hi",
    "Hello",
    "Hi there",
    "Good morning",
    "Good afternoon",
    "Hey",
    "Dear Sir or Madam",
    "To whom it may concern",
    "Hello,",
    "Hi team",
    "Dear {DR} and staff",
    "Dear {DR}",
    "Hi {STAFF}",
    "Dear Billing Department",
    "Hello Doctor",
]

CLOSING = [
    "Thanks",
    "Thank you",
    "Thanks so much",
    "Best",
    "Regards",
    "Sincerely",
    "Best regards",
    "Thank you for your help",
    "Appreciate it",
    "Thanks in advance",
    "Warm regards",
    "Respectfully",
    "Cheers",
    "Thx",
    "Take care",
]

CARE = [
    "doctor",
    "dentist",
    "pediatrician",
    "primary care provider",
    "PCP",
    "eye doctor",
    "dermatologist",
    "therapist",
    "cardiologist",
    "OB",
    "family practice",
    "clinic",
]


@slot("CARE")
def s_care(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(CARE))]


@slot("MONTHONLY")
def s_monthonly(ctx: Ctx) -> list[Frag]:
    from ..pools import MONTHS, MONTHS_SHORT

    r = ctx.rng
    if r.random() < 0.25:
        return [phi(f"{r.choice(MONTHS + MONTHS_SHORT)} {r.randint(2024, 2026)}", "DATE")]
    return [phi(r.choice(MONTHS), "DATE")]


@slot("EMAIL_C")
def s_email_c(ctx: Ctx) -> list[Frag]:
    return [lit(ctx.rng.choice(("email is ", "email: ", "e-mail is ", "email on file is ", "login email is "))), *s_email(ctx)]


_INSNOTE = [
    "Ins: {CARRIER} {PLANTYPE}, sub ID {MEMBERID}, grp {GROUPNO}.",
    "Ins {CARRIER}, mem ID {MEMBERID}.",
    "Ins: {CARRIER} / {MEMBERID} / grp {GROUPNO}.",
    "Primary ins {CARRIER}, sec {CARRIER2}.",
    "Ins {CARRIER} {PLANTYPE}, subscriber {SUBSCRIBER} ({REL}), ID {MEMBERID}.",
    "Self-pay.",
    "No ins on file.",
    "Ins: {MEDICAID} ID {MEMBERID}.",
]


@slot("INSNOTE")
def s_insnote(ctx: Ctx) -> list[Frag]:
    return pick(ctx, _INSNOTE)
