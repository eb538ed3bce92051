"""Label inventory of ``shared/spec/labels.md``: the one place code reads label names from."""

from __future__ import annotations

INTENTS: tuple[str, ...] = (
    "new_patient_inquiry",
    "existing_patient_question",
    "appointment_request",
    "billing_inquiry",
    "clinical_concern",
    "complaint",
    "price_shopper",
)

CHANNELS: tuple[str, ...] = ("sms", "email", "portal", "web_form", "voicemail", "chat", "hl7_note")

PHI_TYPES: tuple[str, ...] = (
    "NAME",
    "LOC",
    "DATE",
    "AGE_OVER_89",
    "PHONE",
    "FAX",
    "EMAIL",
    "SSN",
    "MRN",
    "HEALTH_PLAN",
    "ACCOUNT",
    "LICENSE",
    "VEHICLE",
    "DEVICE",
    "URL",
    "IP",
    "BIOMETRIC",
    "PHOTO_REF",
)

INSURANCE_TYPES: tuple[str, ...] = (
    "CARRIER",
    "PLAN_TYPE",
    "MEMBER_ID",
    "GROUP_NUMBER",
    "POLICY_NUMBER",
    "SUBSCRIBER_NAME",
    "RELATIONSHIP",
    "CLAIM_ID",
    "AUTH_NUMBER",
    "COPAY",
    "DEDUCTIBLE",
    "BILLED_AMOUNT",
)

#: Insurance fields whose value is an amount (normalised to ``{"value", "currency"}``).
AMOUNT_FIELDS: frozenset[str] = frozenset({"COPAY", "DEDUCTIBLE", "BILLED_AMOUNT"})

#: an insurance identifier is PHI too (spec §3): the PHI type its span also carries
INSURANCE_PHI_TYPE: dict[str, str] = {
    "MEMBER_ID": "HEALTH_PLAN",
    "GROUP_NUMBER": "HEALTH_PLAN",
    "POLICY_NUMBER": "HEALTH_PLAN",
    "CLAIM_ID": "ACCOUNT",
    "AUTH_NUMBER": "ACCOUNT",
    "SUBSCRIBER_NAME": "NAME",
}
#: the insurance fields that are identifiers (the paired PHI type says what kind of number)
INSURANCE_IDENTIFIERS: frozenset[str] = frozenset({"MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER", "CLAIM_ID", "AUTH_NUMBER"})

#: FHIR subscriber-relationship codes (RELATIONSHIP normalisation target).
RELATIONSHIP_CODES: tuple[str, ...] = ("self", "spouse", "child", "parent", "common", "injured", "other")

#: Fixed list of PLAN_TYPE codes.
PLAN_TYPE_CODES: tuple[str, ...] = (
    "PPO",
    "HMO",
    "EPO",
    "POS",
    "HDHP",
    "MEDICARE ADVANTAGE",
    "MEDIGAP",
    "MEDICAID",
    "MEDICARE",
)


def bio_labels(types: tuple[str, ...]) -> tuple[str, ...]:
    """``O`` then ``B-x``/``I-x`` for every type, in a stable order (the model's label ids)."""
    out = ["O"]
    for t in types:
        out += [f"B-{t}", f"I-{t}"]
    return tuple(out)


PHI_BIO: tuple[str, ...] = bio_labels(PHI_TYPES)  # 37 labels
INSURANCE_BIO: tuple[str, ...] = bio_labels(INSURANCE_TYPES)  # 25 labels


#: states, the District and Puerto Rico by postal code: never LOC on their own (spec §2, LOC),
#: but part of a contiguous postal address; payer names use them too ("Blue Cross of Idaho")
US_STATE_NAMES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico",
}  # fmt: skip
US_STATES: tuple[str, ...] = tuple(US_STATE_NAMES.values())
US_STATE_CODES: frozenset[str] = frozenset(US_STATE_NAMES)

#: countries, by their usual English names: never LOC on their own (spec §2, LOC)
COUNTRIES: frozenset[str] = frozenset(
    name.lower()
    for name in (
        "Afghanistan|Albania|Algeria|Angola|Argentina|Armenia|Australia|Austria|Azerbaijan|Bahamas|Bangladesh|"
        "Barbados|Belarus|Belgium|Belize|Benin|Bhutan|Bolivia|Bosnia|Botswana|Brazil|Bulgaria|Burkina Faso|Burma|"
        "Burundi|Cambodia|Cameroon|Canada|Cape Verde|Chad|Chile|China|Colombia|Congo|Costa Rica|Croatia|Cuba|Cyprus|"
        "Czechia|Czech Republic|Denmark|Djibouti|Dominica|Dominican Republic|Ecuador|Egypt|El Salvador|England|"
        "Eritrea|Estonia|Eswatini|Ethiopia|Fiji|Finland|France|Gabon|Gambia|Germany|Ghana|Greece|Grenada|Guatemala|"
        "Guinea|Guyana|Haiti|Honduras|Hungary|Iceland|India|Indonesia|Iran|Iraq|Ireland|Israel|Italy|Ivory Coast|"
        "Jamaica|Japan|Jordan|Kazakhstan|Kenya|Korea|South Korea|North Korea|Kosovo|Kuwait|Kyrgyzstan|Laos|Latvia|"
        "Lebanon|Lesotho|Liberia|Libya|Lithuania|Luxembourg|Madagascar|Malawi|Malaysia|Maldives|Mali|Malta|"
        "Marshall Islands|Mauritania|Mauritius|Mexico|Micronesia|Moldova|Mongolia|Montenegro|Morocco|Mozambique|"
        "Myanmar|Namibia|Nepal|Netherlands|Holland|New Zealand|Nicaragua|Niger|Nigeria|North Macedonia|Norway|Oman|"
        "Pakistan|Palau|Palestine|Panama|Papua New Guinea|Paraguay|Peru|Philippines|Poland|Portugal|Qatar|Romania|"
        "Russia|Rwanda|Samoa|Saudi Arabia|Scotland|Senegal|Serbia|Sierra Leone|Singapore|Slovakia|Slovenia|Somalia|"
        "South Africa|South Sudan|Spain|Sri Lanka|Sudan|Suriname|Sweden|Switzerland|Syria|Taiwan|Tajikistan|"
        "Tanzania|Thailand|Togo|Tonga|Trinidad|Tunisia|Turkey|Türkiye|Turkmenistan|Uganda|Ukraine|"
        "United Arab Emirates|UAE|United Kingdom|UK|Uruguay|Uzbekistan|Venezuela|Vietnam|Viet Nam|Wales|Yemen|"
        "Zambia|Zimbabwe"
    ).split("|")
)
