"""Every recognizer's PATTERNS and CONTEXT are what it runs, and a deployment overrides them."""

from __future__ import annotations

import re

import pytest

from intakeflow.errors import SiteFormatError
from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS, run_recognizers
from intakeflow.pipeline.recognizers.cue_anchor import CueAnchoredRecognizer
from intakeflow.pipeline.recognizers.site_formats import SiteFormats

#: one message each recognizer finds something in (invented values)
FOUND_IN = {
    "ssn": "SSN 234-56-7890 on the form",
    "payment_card": "card 4111 1111 1111 1111 was charged",
    "npi": "referred by Dr. Ek, NPI 1234567893.",
    "mbi": "Medicare number 1EG4-TE5-MK73 thanks",
    "vin": "VIN 1HGCM82633A004352 on the report",
    "plate": "my plate 8XYZ123 was towed",
    "ip": "login from 10.1.22.4 yesterday",
    "email": "write to a.b@example.com please",
    "url": "see https://portal.example.org/pay now",
    "phone": "call (617) 555-0142 today",
    "date": "DOB 04/12/1961 on file",
    "age_over_89": "she is 94 years old",
    "mrn": "MRN 8472301 on file",
    "member_id": "member ID W123456789 thanks",
    "group_number": "group 40021877 ok",
    "policy_number": "policy number PL-4471-88 ok",
    "claim": "claim number CLM-88412 ok",
    "auth_number": "prior auth PA77120-S approved",
    "account": "account number 55012-8841 ok",
    "license": "driver's license D1234-5678 ok",
    "device": "serial number SN-55120-X ok",
    "biometric": "fingerprint ID FP-22871 ok",
    "photo_ref": "sent IMG_4471.jpg and photo ID P-55120 ok",
}
NEVER = r"(?!x)x"


def test_every_recognizer_has_a_sample() -> None:
    assert set(FOUND_IN) == set(ALL_RECOGNIZERS)


@pytest.mark.parametrize("name", sorted(ALL_RECOGNIZERS))
def test_patterns_are_named_and_used(name: str) -> None:
    rec = ALL_RECOGNIZERS[name]
    assert len(rec.PATTERN_NAMES) == len(rec.PATTERNS) == len(set(rec.PATTERN_NAMES))
    assert rec.analyze(FOUND_IN[name]), "the sample must be found with the built-in patterns"
    silenced = type(rec)(patterns=dict.fromkeys(rec.PATTERN_NAMES, NEVER))
    assert silenced.overridden
    assert silenced.analyze(FOUND_IN[name]) == []


@pytest.mark.parametrize("name", sorted(n for n, r in ALL_RECOGNIZERS.items() if isinstance(r, CueAnchoredRecognizer)))
def test_cue_recognizers_run_on_their_context(name: str) -> None:
    rec = ALL_RECOGNIZERS[name]
    if name == "photo_ref":  # a file name needs no cue: keep only the cued value
        text = "photo ID P-55120 ok"
    else:
        text = FOUND_IN[name]
    assert rec.analyze(text)
    assert type(rec)(context=["no such cue"]).analyze(text) == []


@pytest.mark.parametrize(
    ("name", "cues", "text", "value"),
    [
        ("member_id", ["plan no"], "plan no. XK-99120-4 is mine", "XK-99120-4"),
        ("mrn", ["unit number", "hosp no"], "Unit number: 4471-0098 on file", "4471-0098"),
        ("device", ["pump id"], "my pump ID is PX77-1209", "PX77-1209"),
    ],
)
def test_a_site_cue_finds_what_the_built_in_cues_miss(name: str, cues: list[str], text: str, value: str) -> None:
    assert not any(text[d.start : d.end] == value for d in ALL_RECOGNIZERS[name].analyze(text))
    site = SiteFormats.from_json({"recognizers": {name: {"context": [*ALL_RECOGNIZERS[name].CONTEXT, *cues]}}})
    assert site.builtins is not None
    phi, _ = run_recognizers(text, site.recognizers, site.builtins)
    assert value in {text[s.start : s.end] for s in phi}


def test_a_site_pattern_replaces_the_built_in_one() -> None:
    text = "SSN 234.56.7890 on the form"
    assert not run_recognizers(text)[0]
    site = SiteFormats.from_json(
        {"recognizers": {"ssn": {"patterns": {"full": r"(?<![\d.])(\d{3})([-. ])(\d{2})\2(\d{4})(?![\d.])"}}}}
    )
    phi, _ = run_recognizers(text, (), site.builtins)
    assert [(text[s.start : s.end], s.label) for s in phi] == [("234.56.7890", "SSN")]


def test_a_recognizer_can_be_turned_off() -> None:
    text = "my plate 8XYZ123 was towed"
    site = SiteFormats.from_json({"recognizers": {"plate": {"enabled": False}}})
    assert site.builtins is not None and "plate" not in {r.NAME for r in site.builtins}
    assert run_recognizers(text)[0] and not run_recognizers(text, (), site.builtins)[0]


def test_no_settings_keep_the_shared_built_ins() -> None:
    assert SiteFormats.from_json({"formats": []}).builtins is None


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"nosuch": {}}, "no built-in recognizer"),
        ({"ssn": {"patterns": {"nosuch": "x"}}}, "unknown pattern name"),
        ({"ssn": {"patterns": {"full": "("}}}, "not a valid regex"),
        ({"mrn": {"context": "mrn"}}, "list of phrases"),
        ({"mrn": {"colour": "red"}}, "settings must be"),
    ],
)
def test_bad_settings_are_a_config_error(settings: dict[str, object], why: str) -> None:
    with pytest.raises(SiteFormatError, match=re.escape(why)) as info:
        SiteFormats.from_json({"recognizers": settings})
    assert str(info.value).startswith("E050")
