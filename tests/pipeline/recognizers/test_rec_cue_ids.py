"""Cue-anchored identifiers: every recognizer gets positives and hard negatives."""

from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS, run_recognizers

POSITIVE: dict[str, list[tuple[str, str]]] = {
    "mrn": [
        ("MRN 8472301 on file", "8472301"),
        ("MRN: 00-4471-A.", "00-4471-A"),
        ("medical record number is 7719 0042 118", "7719 0042 118"),
        ("chart # K88213", "K88213"),
        ("patient ID, Q 4 4 1 9 0", "Q 4 4 1 9 0"),
        ("MRN#55120934", "55120934"),
        ("my chart number would be 2023/77812", "2023/77812"),
    ],
    "member_id": [
        ("member ID W123456789 thanks", "W123456789"),
        ("member id is 8803 4471 902, group 55", "8803 4471 902"),
        ("subscriber no. XJH-4471-02", "XJH-4471-02"),
        ("sub ID QRT 5542 0918 77, and", "QRT 5542 0918 77"),
        ("Member #: 99812-01", "99812-01"),
        ("ID# ZX4471829", "ZX4471829"),
        ("insurance ID W2049 55817 and", "W2049 55817"),
    ],
    "group_number": [
        ("group 11930\nnext", "11930"),
        ("grp 40021877.", "40021877"),
        ("group number: 0099-A", "0099-A"),
        ("group # 772", "772"),
        ("Group ID X77120", "X77120"),
        ("group no. is 5 5 1 2 0", "5 5 1 2 0"),
    ],
    "policy_number": [
        ("policy number A M B 7 7 2 0 1 9 3.", "A M B 7 7 2 0 1 9 3"),
        ("policy # PL-4471-88", "PL-4471-88"),
        ("policy no. 88120034", "88120034"),
        ("Policy ID: HX99-1204", "HX99-1204"),
        ("policy number is 4471 8820 11", "4471 8820 11"),
        ("auto policy number 7720019-B, claim", "7720019-B"),
    ],
    "claim": [
        ("claim number CLM-88412", "CLM-88412"),
        ("(claim no. 5520938-B)", "5520938-B"),
        ("claim # 2024-0099-17 was denied", "2024-0099-17"),
        ("my claim 77120045 is pending", "77120045"),
        ("Claim ID: C 4 4 1 9 2", "C 4 4 1 9 2"),
        ("the claim, E99120-4, bounced", "E99120-4"),
    ],
    "auth_number": [
        ("prior auth PA77120-S approved", "PA77120-S"),
        ("referral number is R F 20 88 41.", "R F 20 88 41"),
        ("authorization # 99812-X", "99812-X"),
        ("auth no. 44 1920 7", "44 1920 7"),
        ("referral ID RX-5512", "RX-5512"),
        ("prior authorization number: 2024PA0412", "2024PA0412"),
    ],
    "account": [
        ("account number 5 5 0 9 2 1 7 3.", "5 5 0 9 2 1 7 3"),
        ("acct # 00471-22", "00471-22"),
        ("statement number ST-99812", "ST-99812"),
        ("invoice INV20240412 attached", "INV20240412"),
        ("my account is 7712 0045 8", "7712 0045 8"),
        ("billing id: BX-4471", "BX-4471"),
    ],
    "license": [
        ("DL# K553-7720-9614, current", "K553-7720-9614"),
        ("driver's license number D1234567", "D1234567"),
        ("her license (#35.087412) is", "35.087412"),
        ("DEA number AB1234563", "AB1234563"),
        ("certificate no. CT-55012", "CT-55012"),
        ("licence # RN 4471882", "4471882"),
        ("my cert # is LPN-20731, on the form", "LPN-20731"),
        ("Home Health Aide reg. HHA 3310958.", "3310958"),
        ("my RN.0491877 renewal", "RN.0491877"),
        ("Caregiver (CNA CNA-OH-0061742)", "CNA-OH-0061742"),
        ("certification number: 88-1042", "88-1042"),
    ],
    "device": [
        ("serial number PX-88123 on the pump", "PX-88123"),
        ("S/N: 4471-AC-09", "4471-AC-09"),
        ("the serial on my CPAP card is P W B 4 4 1 9 0 2 7 H.", "P W B 4 4 1 9 0 2 7 H"),
        ("device ID HA7712Z", "HA7712Z"),
        ("UDI 00844588003288", "00844588003288"),
        ("serial # 5512-0098", "5512-0098"),
    ],
    "biometric": [
        ("voiceprint ID VP-99812 on record", "VP-99812"),
        ("a voiceprint ID, V P 7 7 3 0 9 1, was read", "V P 7 7 3 0 9 1"),
        ("fingerprint id FP 44120", "FP 44120"),
        ("DNA sample ID DS-2024-118", "DS-2024-118"),
        ("retina scan id RS77120", "RS77120"),
        ("it said 'template FPT-0042-7781 not matched'", "FPT-0042-7781"),
    ],
    "photo_ref": [
        ("see IMG_4471.jpg attached", "IMG_4471.jpg"),
        ("two pics: rash-01.png and rash-02.PNG.", "rash-01.png"),
        ("photo ID P-1234 on file", "P-1234"),
        ("uploaded IMG_20240312_101500.heic", "IMG_20240312_101500.heic"),
        ("(scan_0042.jpeg)", "scan_0042.jpeg"),
        ("photo # PH 77120 shows it", "PH 77120"),
    ],
}

NEGATIVE: dict[str, list[str]] = {
    "mrn": [
        "MRN pending",
        "my chart shows 12 visits",
        "MRN: 11/03/1985",
        "medical record from 2019",
        "chart says 2.5 mg",
        "patient number 3 in line",
        "chart review at 10:30",
    ],
    "member_id": [
        "member ID card is lost",
        "member id 2024",
        "the member services number is (800) 555-0100",
        "member id: 3/14",
        "subscriber is my husband",
        "member ID 12.50",
        "ID# pending",
    ],
    "group_number": [
        "group visit next week",
        "support group meets at 7pm",
        "group number missing",
        "group of 3 nurses",
        "group 2019",
        "grp 1st",
    ],
    "policy_number": [
        "policy number unknown",
        "our policy says no",
        "policy # 2024",
        "policy number: 3/4",
        "policy no. 15mg",
        "policy id coming soon",
    ],
    "claim": [
        "I claim no responsibility",
        "claim was denied in 2023",
        "claim # 3/14",
        "claim for $120.00",
        "claim 2nd time",
        "claim submitted at 10:30",
    ],
    "auth_number": [
        "auth pending",
        "prior auth was needed in 2024",
        "referral to cardiology",
        "authorization expires 3/14",
        "auth for 2 visits",
        "referral # 1st",
    ],
    "account": [
        "on account of the storm",
        "account balance is $1,250.00",
        "statement dated 3/14/2024",
        "invoice 2024 is late",
        "account for 3 visits",
        "acct closed",
    ],
    "license": [
        "license to practice",
        "driver's license expired 3/14",
        "DEA number pending",
        "license # 2024",
        "licence was renewed",
        "DEA registration renewal due",
        "paged the charge RN 0955 about bed 4",
        "the CNA 2 shift starts at 7",
        "our CNA said the form is online",
    ],
    "device": [
        "serial killer documentary",
        "serial number is on the back",
        "device broke in 2023",
        "SN: 3/14",
        "device id unknown",
        "serial # 1st",
    ],
    "biometric": [
        "fingerprint reader broke",
        "voiceprint setup failed",
        "DNA sample was sent in 2024",
        "retina scan next week",
        "biometric login at 10:30",
        "fingerprint 2nd try",
    ],
    "photo_ref": [
        "bring a photo ID and insurance card",
        "photo of my rash",
        "picture 2 of 3",
        "image quality is poor",
        "photo from 2019",
        "see report.pdf",
    ],
}


def values(name: str, text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS[name].analyze(text)]


@pytest.mark.parametrize(("name", "text", "expected"), [(n, t, e) for n, cs in POSITIVE.items() for t, e in cs])
def test_cue_id_positive(name: str, text: str, expected: str) -> None:
    assert expected in values(name, text)


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, ts in NEGATIVE.items() if n in ALL_RECOGNIZERS for t in ts])
def test_cue_id_negative(name: str, text: str) -> None:
    assert values(name, text) == []


def test_every_cue_recognizer_has_enough_cases() -> None:
    for name, cases in POSITIVE.items():
        assert len(cases) >= 6 and len(NEGATIVE[name]) >= 6, name


def test_dea_check_digit_sets_validated() -> None:
    rec = ALL_RECOGNIZERS["license"]
    [good] = rec.analyze("DEA AB1234563")
    [bad] = rec.analyze("DEA AB1234564")
    assert good.validated and not bad.validated
    # Without a licence cue a DEA-shaped value needs the word DEA and its check digit.
    assert [d.validated for d in rec.analyze("prescriber AB1234563 (DEA on file)")] == [True]
    assert rec.analyze("prescriber AB1234563") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN 8472301 5 days ago", "8472301"),
        ("member id 7712 0045 then", "7712 0045"),
        ("account 55 12 fine", None),
    ],
)
def test_digit_group_edges(text: str, expected: str | None) -> None:
    phi, _ = run_recognizers(text)
    assert [text[s.start : s.end] for s in phi] == ([expected] if expected else [])


@pytest.mark.parametrize(
    ("text", "phi", "insurance"),
    [
        ("member ID W123456789", "HEALTH_PLAN", "MEMBER_ID"),
        ("group # 40021877", "HEALTH_PLAN", "GROUP_NUMBER"),
        ("policy number PL-4471-88", "HEALTH_PLAN", "POLICY_NUMBER"),
        ("claim number CLM-88412", "ACCOUNT", "CLAIM_ID"),
        ("prior auth PA77120-S", "ACCOUNT", "AUTH_NUMBER"),
        ("account number 00471-22", "ACCOUNT", None),
        ("MRN 8472301", "MRN", None),
    ],
)
def test_both_answers(text: str, phi: str, insurance: str | None) -> None:
    phi_spans, ins_spans = run_recognizers(text)
    assert [s.label for s in phi_spans] == [phi]
    assert [s.label for s in ins_spans] == ([insurance] if insurance else [])
    assert all(s.source == "validator" for s in phi_spans + ins_spans)


def test_cue_words_never_inside_span() -> None:
    text = "MRN: 8472301, member ID: W99120, claim # CLM-7712"
    phi, _ = run_recognizers(text)
    for s in phi:
        piece = text[s.start : s.end].lower()
        assert not any(w in piece for w in ("mrn", "member", "claim", "#", ":"))
