"""Decoding rules: spans a person would draw, whatever pieces the model tagged."""

from __future__ import annotations

import itertools

import pytest

from intakeflow.decoding import (
    continue_names,
    cover,
    decode_insurance,
    decode_phi,
    join_addresses,
    join_names,
    propagate,
    split_plan_type,
    whole_amounts,
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
