"""The writers' markup: labels inline, offsets computed, never counted by hand."""

from __future__ import annotations

import pytest

from models.corpus.markup import Marked, MarkupError, mark, read_marked, to_gold, unmark


def test_unmark_computes_offsets_and_pairs() -> None:
    text, phi, ins = unmark("hi [[NAME:Ana Ruiz]], id [[HEALTH_PLAN+MEMBER_ID:ZX 44]] owe [[BILLED_AMOUNT:$5.00]]")
    assert text == "hi Ana Ruiz, id ZX 44 owe $5.00"
    assert [(text[s["start"] : s["end"]], s["label"]) for s in phi] == [("Ana Ruiz", "NAME"), ("ZX 44", "HEALTH_PLAN")]
    assert [(text[s["start"] : s["end"]], s["label"]) for s in ins] == [("ZX 44", "MEMBER_ID"), ("$5.00", "BILLED_AMOUNT")]


def test_multi_line_message_keeps_inner_line_breaks() -> None:
    msgs = list(
        read_marked("### intent=complaint channel=email\n\nline one\n[[LOC:12 Elm St\nApt 4]]\n\n### intent=x channel=sms\nb\n")
    )
    assert [m.fields["intent"] for m in msgs] == ["complaint", "x"]
    rec = to_gold(msgs[0], "id-1")
    assert rec["text"] == "line one\n12 Elm St\nApt 4"
    assert rec["phi"][0]["text"] == "12 Elm St\nApt 4"


@pytest.mark.parametrize(
    "body",
    [
        "[[FOO:x]]",  # unknown label
        "[[NAME+LOC:x]]",  # two PHI labels
        "[[CARRIER+COPAY:x]]",  # two insurance labels
        "[[NAME: Ana]]",  # whitespace inside
        "[[NAME:Ana",  # unclosed
        "Ana]] here",  # stray closer
    ],
)
def test_bad_markup_is_an_error(body: str) -> None:
    with pytest.raises(MarkupError):
        unmark(body)


def test_mark_is_the_inverse_of_unmark() -> None:
    body = "call [[NAME:Bo Li]] re [[ACCOUNT+CLAIM_ID:C-77]] at [[PHONE:555 0100]]"
    rec = to_gold(Marked(fields={"intent": "billing_inquiry", "channel": "sms"}, body=body, line=1), "r")
    assert mark(rec) == body
