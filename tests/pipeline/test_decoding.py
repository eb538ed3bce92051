"""Decoding rules: spans a person would draw, whatever pieces the model tagged."""

from __future__ import annotations

import itertools
import re

import pytest

from intakeflow.pipeline.decoding import (
    biometric_context,
    continue_names,
    copays_named,
    cover,
    cue_types,
    decode_insurance,
    decode_phi,
    drop_fragments,
    join_addresses,
    join_names,
    join_plates,
    join_spelled,
    licence_states,
    masked_ssns,
    name_tails,
    pair_with_phi,
    photo_cues,
    place_names,
    propagate,
    split_plan_type,
    whole_amounts,
    whole_carriers,
    whole_emails,
    whole_file_names,
    whole_plan_types,
    whole_streets,
    whole_urls,
    whole_words,
)
from intakeflow.spans import Span

WORDS = frozenset({"please", "call", "the", "smith", "maria", "will"})


def _texts(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in spans]


def _span(text: str, piece: str, label: str, start: int = 0) -> Span:
    i = text.index(piece, start)
    return Span(i, i + len(piece), label)


def _pieces(text: str, pieces: list[str], label: str) -> list[Span]:
    """Spans over ``pieces``, found left to right."""
    spans: list[Span] = []
    for p in pieces:
        spans.append(_span(text, p, label, spans[-1].end if spans else 0))
    return spans


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("this is Iniko Adeleke here", "Iniko Adelek", "Iniko Adeleke"),
        ("this is Iniko Adeleke here", "niko Adeleke", "Iniko Adeleke"),
        ("ask Seán O'Brien-Walsh now", "Seán O'Brien", "Seán O'Brien-Walsh"),
        ("Dr. Varga's office", "Varg", "Varga"),  # a possessive stays outside
        ("in Bostonian terms", "Boston", "Bostonian"),
    ],
)
def test_whole_words(text: str, piece: str, want: str) -> None:
    assert _texts(text, whole_words(text, [_span(text, piece, "NAME")])) == [(want, "NAME")]


def test_identifier_types_are_left_to_boundary_repair() -> None:
    text = "MRN 88412 ok"
    assert _texts(text, whole_words(text, [_span(text, "8841", "MRN")])) == [("8841", "MRN")]


def test_join_names_and_not_across_lines() -> None:
    text = "Jane Doe and\nMary Sue"
    spans = [_span(text, "Jane", "NAME"), _span(text, "Doe", "NAME"), _span(text, "Mary", "NAME")]
    assert _texts(text, join_names(text, spans)) == [("Jane Doe", "NAME"), ("Mary", "NAME")]
    text2 = "Doe\nMary"
    assert len(join_names(text2, [_span(text2, "Doe", "NAME"), _span(text2, "Mary", "NAME")])) == 2


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        ("send to 12 Elm St, Boston, MA 02118 thanks", ["12 Elm St, Boston", "02118"], "12 Elm St, Boston, MA 02118"),
        (
            "send to:\n12 Elm St\nApt 4\nBoston MA 02118\nthanks",
            ["12 Elm St\nApt 4", "Boston MA 02118"],
            "12 Elm St\nApt 4\nBoston MA 02118",
        ),
    ],
)
def test_join_addresses(text: str, pieces: list[str], want: str) -> None:
    spans = [_span(text, p, "LOC") for p in pieces]
    assert _texts(text, join_addresses(text, spans)) == [(want, "LOC")]


def test_addresses_apart_in_a_sentence_stay_apart() -> None:
    text = "from Boston to see family in Austin"
    spans = [_span(text, "Boston", "LOC"), _span(text, "Austin", "LOC")]
    assert len(join_addresses(text, spans)) == 2


def test_continue_names_over_rare_surname_only() -> None:
    text = "this is Maria Okonkwo-Adeyemi and Maria Smith. Maria Please"
    spans = [_span(text, "Maria", "NAME"), _span(text, "Maria", "NAME", 30), _span(text, "Maria", "NAME", 44)]
    got = _texts(text, continue_names(text, spans, WORDS))
    assert got == [("Maria Okonkwo-Adeyemi", "NAME"), ("Maria", "NAME"), ("Maria", "NAME")]


def test_propagate_values_and_name_parts() -> None:
    text = "Iniko Adeleke, MRN 4471902. Iniko called; 4471902 again. Adeleke too"
    spans = [_span(text, "Iniko Adeleke", "NAME"), _span(text, "4471902", "MRN")]
    got = _texts(text, propagate(text, spans, frozenset({"NAME", "MRN"})))
    assert got == [("Iniko Adeleke", "NAME"), ("4471902", "MRN"), ("Iniko", "NAME"), ("4471902", "MRN"), ("Adeleke", "NAME")]


def test_propagate_skips_common_word_at_sentence_start() -> None:
    text = "From Will Okafor. Will you call? I told Will."
    spans = [_span(text, "Will Okafor", "NAME")]
    got = _texts(text, propagate(text, spans, frozenset({"NAME"}), WORDS))
    assert got == [("Will Okafor", "NAME"), ("Will", "NAME")]
    assert got[1] and text.rindex("Will") == [s for s in propagate(text, spans, frozenset({"NAME"}), WORDS)][-1].start


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("you billed $35.00 today", "35", "$35.00"),
        ("you billed $1,240.00 today", "1,240", "$1,240.00"),
        (
            "it says I owe four hundred eighty two dollars and sixteen cents ok",
            "four hundred",
            "four hundred eighty two dollars and sixteen cents",
        ),
        ("it says I owe three hundred twelve dollars but", "three hundred twelve", "three hundred twelve dollars"),
        # number words the model left before a spoken amount, and the "a" of "a hundred"
        ("the bill was one twenty five for labs", "twenty five", "one twenty five"),
        ("they charged a hundred and ten dollars", "hundred and ten dollars", "a hundred and ten dollars"),
        (
            "owe six hundred and four dollars and forty cents now",
            "six hundred and four dollars and forty",
            "six hundred and four dollars and forty cents",
        ),
        # negatives: a word that is no number stays out; a written amount keeps its edges
        ("paid twice seventy dollars", "seventy dollars", "seventy dollars"),
        ("paid a $40 copay", "$40", "$40"),
    ],
)
def test_whole_amounts(text: str, piece: str, want: str) -> None:
    assert _texts(text, whole_amounts(text, [_span(text, piece, "BILLED_AMOUNT")])) == [(want, "BILLED_AMOUNT")]


def test_split_plan_type() -> None:
    text = "I have Blue Shield PPO now"
    assert _texts(text, split_plan_type(text, [_span(text, "Blue Shield PPO", "CARRIER")])) == [
        ("Blue Shield", "CARRIER"),
        ("PPO", "PLAN_TYPE"),
    ]


def test_cover_never_shows_less_than_strict() -> None:
    strict = [Span(10, 15, "NAME", score=0.9)]
    extra = [Span(10, 23, "DATE"), Span(30, 35, "LOC")]
    got = cover(strict, extra)
    assert [(s.start, s.end, s.label) for s in got] == [(10, 23, "NAME"), (30, 35, "LOC")]


def test_decoders_keep_answers_non_overlapping() -> None:
    text = "Jane Doe Jane Doe paid $5.00 to Aetna PPO; Aetna said"
    phi = decode_phi(text, [_span(text, "Jane", "NAME"), _span(text, "Doe", "NAME")], WORDS)
    ins = decode_insurance(text, [_span(text, "5", "BILLED_AMOUNT"), _span(text, "Aetna PPO", "CARRIER")], WORDS)
    for spans in (phi, ins):
        assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
    assert ("Jane Doe", "NAME") in _texts(text, phi)
    assert _texts(text, ins) == [("$5.00", "BILLED_AMOUNT"), ("Aetna", "CARRIER"), ("PPO", "PLAN_TYPE"), ("Aetna", "CARRIER")]


@pytest.mark.parametrize(
    ("text", "pieces", "label", "want"),
    [
        ("its Arlene\nArlene Pruett here", ["Arlene\nArlene Pruett"], "NAME", [("Arlene", "NAME"), ("Arlene Pruett", "NAME")]),
        ("Alphonse Mugabe\nDOB 2/28/1977", ["Alphonse Mugabe\nDOB"], "NAME", [("Alphonse Mugabe", "NAME")]),
        ("PT: DELACROIX, ODETTE  MRN", ["DELACROIX", "ODETTE"], "NAME", [("DELACROIX, ODETTE", "NAME")]),
        ("Obrigado,\nThiago", ["Obrigado"], "NAME", []),
        ("gave me amoxicillin 3/9 and", ["3/", "9"], "DATE", [("3/9", "DATE")]),
        ("Booked 1/10. Records", ["1/"], "DATE", [("1/10", "DATE")]),
        (
            "address: RR 2 Box 14\nMillersburg, OH 44654\nPHONE",
            ["2 Box 14\nMillersburg, OH 44654"],
            "LOC",
            [("RR 2 Box 14\nMillersburg, OH 44654", "LOC")],
        ),
        ("flying in from Pago Pago next month", ["Pago"], "LOC", [("Pago Pago", "LOC")]),
    ],
)
def test_decode_phi_cases(text: str, pieces: list[str], label: str, want: list[tuple[str, str]]) -> None:
    assert _texts(text, decode_phi(text, _pieces(text, pieces, label), WORDS)) == want


@pytest.mark.parametrize(
    ("text", "pieces", "label", "want"),
    [
        ("about $1,200 with my plan", ["$"], "BILLED_AMOUNT", [("$1,200", "BILLED_AMOUNT")]),
        ("Copay received - ($30.00) ok", ["$", "00"], "COPAY", [("$30.00", "COPAY")]),
        ("Are you accepting Keystone First? ok", ["Keystone", "First"], "CARRIER", [("Keystone First", "CARRIER")]),
        ("Do you accept MetLife dental? And", ["MetLife dental"], "CARRIER", [("MetLife", "CARRIER")]),
    ],
)
def test_decode_insurance_cases(text: str, pieces: list[str], label: str, want: list[tuple[str, str]]) -> None:
    assert _texts(text, decode_insurance(text, _pieces(text, pieces, label), WORDS | {"dental"})) == want


def test_acronym_plural_is_no_surname() -> None:
    text = "Mila Petrovic WCCs 12/20 back"
    assert _texts(text, continue_names(text, [_span(text, "Mila Petrovic", "NAME")], WORDS)) == [("Mila Petrovic", "NAME")]


def _typed(text: str, pieces: list[tuple[str, str]]) -> list[Span]:
    spans: list[Span] = []
    for piece, label in pieces:
        spans.append(_span(text, piece, label, spans[-1].end if spans else 0))
    return spans


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        # a spoken member ID cut into three types: one span, the majority type
        (
            "the ID is Q T L 4 4 0 9 1 7 thanks",
            [("Q T L", "PHOTO_REF"), ("4 4 0 9", "HEALTH_PLAN"), ("1 7", "DEVICE")],
            [("Q T L 4 4 0 9 1 7", "HEALTH_PLAN")],
        ),
        # spelling-alphabet plate, pieces with untagged words between
        (
            "plate is nine, Hotel, Kilo, two, two, eight ok",
            [("nine, Hotel", "VEHICLE"), ("two", "LICENSE"), ("eight", "VEHICLE")],
            [("nine, Hotel, Kilo, two, two, eight", "VEHICLE")],
        ),
        # a spoken IP address joined over its "dot"s
        (
            "from one nine two dot one six eight dot four dot nine at night",
            [("one nine two", "IP"), ("one six eight", "IP"), ("four dot nine", "IP")],
            [("one nine two dot one six eight dot four dot nine", "IP")],
        ),
        # a surname spelled out after it was said is the name, whatever the pieces were called
        (
            "I'm Ottoline Varga that's V A R G A bye",
            [("Ottoline Varga", "NAME"), ("V A R", "PHOTO_REF"), ("G A", "VEHICLE")],
            [("Ottoline Varga", "NAME"), ("V A R G A", "NAME")],
        ),
    ],
)
def test_join_spelled(text: str, pieces: list[tuple[str, str]], want: list[tuple[str, str]]) -> None:
    assert _texts(text, join_spelled(text, _typed(text, pieces))) == want


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        # two values with a word between them stay two
        ("call six one seven and then two two", [("six one seven", "PHONE"), ("two two", "PHONE")]),
        # a name and a date beside it are no spelled sequence
        ("Bo Quist 4 7 1990", [("Bo Quist", "NAME"), ("4 7 1990", "DATE")]),
        # a possessive "s" is no spelled letter
        ("the fax number's four one five five", [("four one five five", "FAX")]),
    ],
)
def test_join_spelled_leaves_apart(text: str, pieces: list[tuple[str, str]]) -> None:
    spans = _typed(text, pieces)
    assert join_spelled(text, spans) == spans


@pytest.mark.parametrize(
    ("text", "piece", "label", "want"),
    [
        ("my driver's license number is K2291-44718 thanks", "K2291-44718", "ACCOUNT", "LICENSE"),
        ("pump serial no. PX-88120-B ok", "PX-88120-B", "ACCOUNT", "DEVICE"),
        ("the VIN: 2T3BF4DV7AW012345 ok", "2T3BF4DV7AW012345", "DEVICE", "VEHICLE"),
        # a VIN's shape in a message that says VIN, though a claim cue is nearer
        ("the VIN of the car for the claim: 1HGCM82633A123456.", "1HGCM82633A123456", "ACCOUNT", "VEHICLE"),
        ("SSN ending in 4410", "4410", "ACCOUNT", "SSN"),
    ],
)
def test_cue_types(text: str, piece: str, label: str, want: str) -> None:
    assert _texts(text, cue_types(text, [_span(text, piece, label)])) == [(piece, want)]


@pytest.mark.parametrize(
    ("text", "piece", "label"),
    [
        # a weak cue ("social" of "social worker") does not overrule the model
        ("I'm a social worker, LCSW 55102 is mine", "55102", "LICENSE"),
        # a cue far away, with other words between, does not either
        ("license renewed last spring; my account AC-44120 shows", "AC-44120", "ACCOUNT"),
        # names and phones are no identifier types a cue decides
        ("serial number Tomasz Ek", "Tomasz Ek", "NAME"),
    ],
)
def test_cue_types_keeps_model_type(text: str, piece: str, label: str) -> None:
    assert _texts(text, cue_types(text, [_span(text, piece, label)])) == [(piece, label)]


def test_plate_state_code_stays_outside() -> None:
    # the adjudicated corpus reads a state code before a plate as its qualifier, like "TX plate"
    text = "plate on the van is OR 7TK-441 thanks"
    assert _texts(text, decode_phi(text, [_span(text, "7TK-441", "VEHICLE")], frozenset())) == [("7TK-441", "VEHICLE")]


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        # a file name written with a space, tagged in two pieces
        (
            "photos attached (aetna front.jpg, aetna back.jpg) thanks",
            [("aetna", "PHOTO_REF"), ("front.jpg", "PHOTO_REF"), ("aetna", "PHOTO_REF", 20), ("back.jpg", "PHOTO_REF")],
            [("aetna front.jpg", "PHOTO_REF"), ("aetna back.jpg", "PHOTO_REF")],
        ),
        # spoken in a voicemail
        (
            "the file is knee underscore two dot png ok",
            [("knee", "PHOTO_REF"), ("underscore two dot png", "PHOTO_REF")],
            [("knee underscore two dot png", "PHOTO_REF")],
        ),
        # a screenshot's default name, cut into a date and a time the model called an IP address
        (
            "see (Screenshot 2025-11-02 at 9.15.33 AM.png) please",
            [("2025-11-02", "PHOTO_REF"), ("9.15.33", "IP"), ("AM.png", "PHOTO_REF")],
            [("Screenshot 2025-11-02 at 9.15.33 AM.png", "PHOTO_REF")],
        ),
        # negatives: two file names in a list stay two; no extension, no join; a screenshot name
        # nobody tagged as a photo stays as tagged
        (
            "files IMG_1.jpg IMG_2.jpg",
            [("IMG_1.jpg", "PHOTO_REF"), ("IMG_2.jpg", "PHOTO_REF")],
            [("IMG_1.jpg", "PHOTO_REF"), ("IMG_2.jpg", "PHOTO_REF")],
        ),
        (
            "photo IMG_4410 front side",
            [("IMG_4410", "PHOTO_REF"), ("front", "PHOTO_REF")],
            [("IMG_4410", "PHOTO_REF"), ("front", "PHOTO_REF")],
        ),
        ("on 2025-11-02 at 9.15.33 AM.png", [("2025-11-02", "DATE")], [("2025-11-02", "DATE")]),
        ("Screenshot 2025-11-02 at 9.15.33 AM.png", [("2025-11-02", "DATE")], [("2025-11-02", "DATE")]),
    ],
)
def test_whole_file_names(text: str, pieces: list[tuple], want: list[tuple[str, str]]) -> None:
    spans = [_span(text, p[0], p[1], *p[2:]) for p in pieces]
    assert _texts(text, whole_file_names(text, spans)) == want


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        ("plate 8HTR 442. refund", ["8HTR", "442"], [("8HTR 442", "VEHICLE")]),
        ("plate MC 4T8J2.", ["MC", "4T8J2"], [("MC 4T8J2", "VEHICLE")]),
        # two plates in a list stay two
        ("plates 8HTR442, 7TK441", ["8HTR442", "7TK441"], [("8HTR442", "VEHICLE"), ("7TK441", "VEHICLE")]),
        # a word is no plate piece
        ("the Plate 8HTR442", ["8HTR442"], [("8HTR442", "VEHICLE")]),
        # a make or model is no vehicle identifier; a spoken or all-capitals plate is
        ("the maroon Buick, plate RBS 4410", ["Buick", "RBS", "4410"], [("RBS 4410", "VEHICLE")]),
        ("plate is seven K L M", ["seven K L M"], [("seven K L M", "VEHICLE")]),
        ("vanity plate GRANDMA ok", ["GRANDMA"], [("GRANDMA", "VEHICLE")]),
    ],
)
def test_join_plates(text: str, pieces: list[str], want: list[tuple[str, str]]) -> None:
    assert _texts(text, join_plates(text, [_span(text, p, "VEHICLE") for p in pieces])) == want


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("the pharmacy on Birch street closes early", "Birch", "Birch street"),
        ("pick it up at Elm Rd. tomorrow", "Elm", "Elm Rd"),
        ("Address: 12 Vine Ct\nCity: Tulsa", "12 Vine Ct\nCity", "12 Vine Ct"),
        ("12 Vine Ct\nTulsa, OK 74103 ok", "12 Vine Ct\nTulsa, OK 74103", "12 Vine Ct\nTulsa, OK 74103"),
    ],
)
def test_whole_streets(text: str, piece: str, want: str) -> None:
    assert _texts(text, whole_streets(text, [_span(text, piece, "LOC")])) == [(want, "LOC")]


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("please call Ottilie Baker tomorrow", "Ottilie", "Ottilie Baker"),
        ("Jun Long called twice", "Jun", "Jun Long"),
        ("ask for Ottilie Thanks", "Ottilie", "Ottilie"),  # a sign-off word is no surname
        ("ask for Ottilie at noon", "Ottilie", "Ottilie"),  # lower case: no name
        ("Ottilie\nBaker St", "Ottilie", "Ottilie"),  # never over a line break
    ],
)
def test_name_tails_for_redaction(text: str, piece: str, want: str) -> None:
    assert _texts(text, name_tails(text, [_span(text, piece, "NAME")])) == [(want, "NAME")]


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("drill this weekend at Camp Ripley. note", "Ripley", [("Camp Ripley", "LOC")]),
        ("we're at Mountain Home AFB and", "Mountain Home", [("Mountain Home AFB", "LOC")]),
        ("call from Fort Leonard Wood TRICARE", "Leonard Wood", [("Fort Leonard Wood", "LOC")]),
        ("stationed at Minot Air Force Base and", "Minot", [("Minot Air Force Base", "LOC")]),
        # a place word that starts a sentence is still a place word; one that is not beside the place is not
        ("Lives in Toksook Bay.", "Toksook", [("Toksook Bay", "LOC")]),
        ("in Dayton Tuesday", "Dayton", [("Dayton", "LOC")]),
        # a town that starts a facility's name is part of that name, not LOC
        ("Thank you for calling Fairhaven Regional Medical Center.", "Fairhaven", []),
        ("Send to: Lakefront Legal Group LLP", "Lakefront", []),
        ("at the Roxbury office", "Roxbury", [("Roxbury", "LOC")]),
        # a state or a country on its own is not LOC (spec §2)
        ("visit my sister in Portugal this spring", "Portugal", []),
        ("we moved from Ohio", "Ohio", []),
        ("we moved from the District of Columbia", "District of Columbia", []),  # DC, as its postal code is
        ("moved from Dayton, Ohio", "Dayton, Ohio", [("Dayton, Ohio", "LOC")]),
    ],
)
def test_place_names(text: str, piece: str, want: list[tuple[str, str]]) -> None:
    assert _texts(text, place_names(text, [_span(text, piece, "LOC")])) == want


@pytest.mark.parametrize(
    ("text", "piece", "label", "kept"),
    [
        ("my rheumatology appointment link", "tology", "URL", False),
        ("admitted (rhabdo/AKI, consult)", "habdo/AK", "URL", False),
        ("email frontdesk at ironhouse fitness", "iron", "EMAIL", False),
        # a piece with a digit may be an identifier glued to its cue ("MRN12345")
        ("chart MRN12345 please", "12345", "MRN", True),
        ("see pay.example.com/bill now", "pay.example.com/bill", "URL", True),
        # word types are grown to whole words by whole_words, not dropped here
        ("Adeleke called", "Adelek", "NAME", True),
    ],
)
def test_drop_fragments(text: str, piece: str, label: str, kept: bool) -> None:
    sp = _span(text, piece, label)
    assert drop_fragments(text, [sp]) == ([sp] if kept else [])


@pytest.mark.parametrize(
    ("text", "ins", "phi", "want"),
    [
        (
            "its 771 302 445 X, u had",
            [("771 302 445", "MEMBER_ID")],
            [("771 302 445 X", "HEALTH_PLAN")],
            [("771 302 445 X", "MEMBER_ID")],
        ),
        (
            "His name is Lionel Baptiste-Ward, and",
            [("Lionel", "SUBSCRIBER_NAME")],
            [("Lionel Baptiste-Ward", "NAME")],
            [("Lionel Baptiste-Ward", "SUBSCRIBER_NAME")],
        ),
        # two pieces of one value are one span
        (
            "card number is SHP 0071 4420 9.",
            [("SHP", "MEMBER_ID"), ("0071", "MEMBER_ID")],
            [("SHP 0071 4420 9", "HEALTH_PLAN")],
            [("SHP 0071 4420 9", "MEMBER_ID")],
        ),
        # an identifier the PHI answer reads as another kind, or as nothing, is dropped
        ("ID W123 for Ann Lee", [("W123", "MEMBER_ID")], [("W123 for", "ACCOUNT")], []),
        ("referral faxed from (262) 555-0110 today", [("555-0110", "AUTH_NUMBER")], [("(262) 555-0110", "FAX")], []),
        ("claim CL-55012 denied", [("CL-55012", "CLAIM_ID")], [], []),
        # a name and a field without a PHI type keep their spans
        ("policy holder Ann Lee", [("Ann Lee", "SUBSCRIBER_NAME")], [], [("Ann Lee", "SUBSCRIBER_NAME")]),
        ("copay $35.00 today", [("$35", "COPAY")], [("$35.00", "ACCOUNT")], [("$35", "COPAY")]),
    ],
)
def test_pair_with_phi(text: str, ins: list[tuple[str, str]], phi: list[tuple[str, str]], want: list[tuple[str, str]]) -> None:
    got = pair_with_phi([_span(text, v, lab) for v, lab in ins], [_span(text, v, lab) for v, lab in phi])
    assert _texts(text, got) == want


@pytest.mark.parametrize(
    ("text", "piece", "label", "want"),
    [
        # the mask is not the number (spec: a partial SSN is its digits), whatever type the model chose
        ("ssn on file xxx-xx-4417 pls", "xxx-xx-4417", "SSN", ("4417", "SSN")),
        ("ends ***-**-0392.", "***-**-0392", "SSN", ("0392", "SSN")),
        ("id \u2022\u2022\u2022-\u2022\u2022-7781 ok", "\u2022\u2022\u2022-\u2022\u2022-7781", "ACCOUNT", ("7781", "SSN")),
        # negatives: a full SSN, a masked card number and a non-identifier keep their spans
        ("ssn 512-44-0917", "512-44-0917", "SSN", ("512-44-0917", "SSN")),
        ("card xxxx-xxxx-xxxx-4417", "xxxx-xxxx-xxxx-4417", "ACCOUNT", ("xxxx-xxxx-xxxx-4417", "ACCOUNT")),
        ("note xxx-xx-4417", "xxx-xx-4417", "NAME", ("xxx-xx-4417", "NAME")),
    ],
)
def test_masked_ssns(text: str, piece: str, label: str, want: tuple[str, str]) -> None:
    assert _texts(text, masked_ssns(text, [_span(text, piece, label)])) == [want]


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("my DL is OH 55120984 exp 2029", "OH 55120984", "55120984"),
        ("licence K2209 4471 NV on file", "K2209 4471 NV", "K2209 4471"),
        ("RN license WA 4471 2093", "WA 4471 2093", "4471 2093"),
        # negatives: letters that are no state code, or a code with no number left, stay
        ("permit PL 8841920", "PL 8841920", "PL 8841920"),
        ("DL class CA only", "CA only", "CA only"),
    ],
)
def test_licence_states(text: str, piece: str, want: str) -> None:
    assert _texts(text, licence_states(text, [_span(text, piece, "LICENSE")])) == [(want, "LICENSE")]


@pytest.mark.parametrize(
    ("text", "piece", "want"),
    [
        ("sent a pic wrist_0412.jpg earlier", "pic wrist_0412.jpg", "wrist_0412.jpg"),
        ("Photo rash left side.png attached", "Photo rash left side.png", "rash left side.png"),
        # negatives: no file extension, or the cue word alone
        ("photo IMG 5581", "photo IMG 5581", "photo IMG 5581"),
        ("the picture taken", "picture", "picture"),
    ],
)
def test_photo_cues(text: str, piece: str, want: str) -> None:
    assert _texts(text, photo_cues(text, [_span(text, piece, "PHOTO_REF")])) == [(want, "PHOTO_REF")]


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        # written: words before the address out, its path in, sentence punctuation out
        (
            "pay online at billing.lakeview.example/inv/2231.",
            ["online at billing.lakeview.example"],
            ["billing.lakeview.example/inv/2231"],
        ),
        ("see https://portal.example.org/a?b=1, thanks", ["https://portal.example.org"], ["https://portal.example.org/a?b=1"]),
        # spoken: pieces around a spoken "dot" are one address; a trailing "slash" takes the next word
        (
            "go to w w w dot ridge clinic dot org slash pay okay",
            ["w w w dot", "ridge clinic dot org slash"],
            ["w w w dot ridge clinic dot org slash pay"],
        ),
        # negatives: two written addresses stay two; a tagged address ending in a word stays
        ("a.example.com b.example.com", ["a.example.com", "b.example.com"], ["a.example.com", "b.example.com"]),
        ("its maple health dot com then", ["maple health dot com"], ["maple health dot com"]),
    ],
)
def test_whole_urls(text: str, pieces: list[str], want: list[str]) -> None:
    spans = _pieces(text, pieces, "URL")
    assert _texts(text, whole_urls(text, spans)) == [(w, "URL") for w in want]


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        # spoken: the local part runs back to the cue, over a piece tagged apart
        (
            "my email is r quill ninety at mailbox dot com thanks",
            ["ninety at mailbox dot com"],
            ["r quill ninety at mailbox dot com"],
        ),
        ("email is t marsh at post dot net", ["t", "marsh at post dot net"], ["t marsh at post dot net"]),
        # written addresses stay as tagged; no "@" and no spoken "at", or "@" with no domain: none
        ("write to a.b@clinic.example please", ["a.b@clinic.example"], ["a.b@clinic.example"]),
        ("its dot com", ["dot com"], []),
        ("working @home today", ["@home"], []),
    ],
)
def test_whole_emails(text: str, pieces: list[str], want: list[str]) -> None:
    assert _texts(text, whole_emails(text, _pieces(text, pieces, "EMAIL"))) == [(w, "EMAIL") for w in want]


def test_whole_emails_stops_at_another_label() -> None:
    text = "ask Nadia at clinic dot org"
    spans = [_span(text, "Nadia", "NAME"), _span(text, "at clinic dot org", "EMAIL")]
    assert _texts(text, whole_emails(text, spans)) == [("Nadia", "NAME"), ("at clinic dot org", "EMAIL")]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("the kiosk enrolled my palm, record PV-55120", True),
        ("voiceprint id VX-4471 on file", True),
        ("the lab has my cheek swab, ref QZ-7719", True),
        # no biometric record, sample or enrolment named: a study or request number
        ("my sleep study recording is QZ-7719", False),
        ("request QZ-7719 was closed", False),
    ],
)
def test_biometric_context(text: str, kept: bool) -> None:
    spans = [Span(m.start(), m.end(), "BIOMETRIC") for m in re.finditer(r"[A-Z]{2}-\d+", text)]
    assert biometric_context(text, spans) == (spans if kept else [])


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        # a lower-case name tagged at its first word; two pieces of one Blue plan
        ("its under blue cross blue shield of texas i think", ["blue"], ["blue cross blue shield of texas"]),
        (
            "Blue Cross and Blue Shield of Vermont denied it",
            ["Blue Cross", "Blue Shield of Vermont"],
            ["Blue Cross and Blue Shield of Vermont"],
        ),
        ("billed to Medical Mutual in May", ["Mutual"], ["Medical Mutual"]),
        # negatives: a name complete on its own keeps its edges (a product after it is no carrier)
        ("TRICARE Select covers it", ["TRICARE"], ["TRICARE"]),
        ("MetLife dental said no", ["MetLife"], ["MetLife"]),
        ("no insurer named here", [], []),
    ],
)
def test_whole_carriers(text: str, pieces: list[str], want: list[str]) -> None:
    assert _texts(text, whole_carriers(text, _pieces(text, pieces, "CARRIER"))) == [(w, "CARRIER") for w in want]


def test_whole_carriers_leaves_other_fields_alone() -> None:
    text = "Blue Cross PPO Blue Shield"
    spans = [_span(text, "Blue Cross", "CARRIER"), _span(text, "PPO", "PLAN_TYPE")]
    assert whole_carriers(text, spans) == spans


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("my copay should be $30 not $80", True),
        ("el copago es $15", True),
        ("the co-pay: $25", True),
        # an amount not named as a copay
        ("the visit price was $30 last time", False),
    ],
)
def test_copays_named(text: str, kept: bool) -> None:
    spans = [_span(text, "$" + text.split("$")[1].split()[0], "COPAY")]
    assert copays_named(text, spans) == (spans if kept else [])


@pytest.mark.parametrize(
    ("text", "pieces", "want"),
    [
        ("its an H M O plan", ["H", "O"], ["H M O"]),
        ("a p-p-o i think", ["p"], ["p-p-o"]),
        ("my high deductible plan", ["high", "deductible"], ["high deductible"]),
        # negatives: two plan types side by side stay two; letters nobody tagged stay untagged
        ("Medicare Advantage PPO card", ["Medicare Advantage", "PPO"], ["Medicare Advantage", "PPO"]),
        ("its an H M O plan", [], []),
    ],
)
def test_whole_plan_types(text: str, pieces: list[str], want: list[str]) -> None:
    assert _texts(text, whole_plan_types(text, _pieces(text, pieces, "PLAN_TYPE"))) == [(w, "PLAN_TYPE") for w in want]
