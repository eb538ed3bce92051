from __future__ import annotations

import json
from typing import Any

import anthropic
import pytest
from fake_anthropic import API_KEY, FakeAnthropic, Reply, message

from intakeflow.pipeline.fallback import Fallback, FallbackConfig, FallbackError
from intakeflow.spans import Span

TEXT = "Hi there, writing from the lake house. My member id is QXR 88120 44 and the card is new."
VALUE = "QXR 88120 44"
ANSWER = json.dumps([{"text": VALUE, "label": "MEMBER_ID"}])


def at(text: str, piece: str, label: str, score: float = 1.0) -> Span:
    i = text.index(piece)
    return Span(i, i + len(piece), label, "model", score)


def test_disabled_by_default_makes_no_call(fake: FakeAnthropic) -> None:
    cfg = FallbackConfig(base_url=fake.url, api_key=API_KEY)
    assert cfg.enabled is False
    fb = Fallback(cfg)
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert fake.received == [] and fb.stats.calls == 0 and fb.stats.messages == 0


def test_normal_answer_adds_insurance_and_derived_phi(fake: FakeAnthropic, make_config: Any) -> None:
    fake.default = Reply(body=message(ANSWER, input_tokens=200, output_tokens=40))
    fb = Fallback(make_config())
    phi, ins = fb.resolve(TEXT, [], [])
    start = TEXT.index(VALUE)
    assert [s.key() for s in ins] == [(start, start + len(VALUE), "MEMBER_ID")]
    assert [s.key() for s in phi] == [(start, start + len(VALUE), "HEALTH_PLAN")]
    assert all(s.source == "fallback" for s in phi + ins)
    assert len(fake.received) == 1 and fake.received[0].path == "/v1/messages"
    auth = fake.received[0].headers
    assert API_KEY in (auth.get("x-api-key", ""), auth.get("authorization", "").removeprefix("Bearer "))
    st = fb.stats
    assert (st.calls, st.successes, st.failures, st.input_tokens, st.output_tokens) == (1, 1, 0, 200, 40)
    assert st.usd == pytest.approx((200 * 1.0 + 40 * 5.0) / 1e6)
    assert st.spans_added == 2 and len(st.latency_ms) == 1


def test_fenced_answer_and_object_form_accepted(fake: FakeAnthropic, make_config: Any) -> None:
    fake.script = [Reply(body=message("```json\n" + ANSWER + "\n```")),
                   Reply(body=message(json.dumps({"spans": json.loads(ANSWER)})))]  # fmt: skip
    fb = Fallback(make_config())
    assert fb.resolve(TEXT, [], [])[1] and fb.resolve(TEXT, [], [])[1]


def test_resolved_cue_makes_no_call(fake: FakeAnthropic, make_config: Any) -> None:
    fb = Fallback(make_config())
    assert fb.resolve(TEXT, [], [at(TEXT, VALUE, "MEMBER_ID")]) == ([], [])
    assert fb.resolve(TEXT, [at(TEXT, VALUE, "HEALTH_PLAN")], []) == ([], [])
    assert fake.received == []


@pytest.mark.parametrize(
    "text",
    ["I'd like to file a claim about last month's visit.", "No cue words in this message 12345 at all."],
)
def test_no_unresolved_cue_no_call(fake: FakeAnthropic, make_config: Any, text: str) -> None:
    assert Fallback(make_config()).resolve(text, [], []) == ([], [])
    assert fake.received == []


def test_spoken_value_counts_as_hint(fake: FakeAnthropic, make_config: Any) -> None:
    text = "voicemail: my member id is W as in whiskey four four two one, thanks"
    fake.default = Reply(body=message(json.dumps([{"text": "W as in whiskey four four two one", "label": "MEMBER_ID"}])))
    _, ins = Fallback(make_config()).resolve(text, [], [])
    assert [text[s.start : s.end] for s in ins] == ["W as in whiskey four four two one"]


def test_window_never_leaves_bounds_and_masks_known_spans(fake: FakeAnthropic, make_config: Any) -> None:
    left = "LEFTEDGEMARKER " + "filler words about the weather and parking. " * 10
    right = " more filler about the front desk and the lobby." * 10 + " RIGHTEDGEMARKER"
    middle = "Signed Brennick Olafsdottir; my member id is QXR 88120 44 please"
    text = left + middle + right
    fb = Fallback(make_config(window_chars=80))
    fb.resolve(text, [at(text, "Brennick Olafsdottir", "NAME")], [])
    assert len(fake.received) == 1
    sent = fake.received[0].everything
    assert "EDGEMARKER" not in sent and "Olafsdottir" not in sent and "[NAME]" in sent
    excerpt = fake.received[0].user_text.split("<excerpt>\n")[1].split("\n</excerpt>")[0]
    cue = text.index("member id")
    lo, hi = cue - 80, cue + len("member id") + 80
    assert excerpt.replace("[NAME]", "Brennick Olafsdottir") == text[lo:hi]


def test_low_confidence_span_triggers_and_may_be_replaced(fake: FakeAnthropic, make_config: Any) -> None:
    text = "please update the file for Corvina Haldesmit today"
    weak = at(text, "Corvina", "NAME", score=0.3)
    fake.default = Reply(body=message(json.dumps([{"text": "Corvina Haldesmit", "label": "NAME"}])))
    phi, _ = Fallback(make_config()).resolve(text, [weak], [])
    assert [text[s.start : s.end] for s in phi] == ["Corvina Haldesmit"]
    assert "Corvina" in fake.received[0].user_text  # a weak span is not masked: it is the question


def test_confident_overlap_is_dropped(fake: FakeAnthropic, make_config: Any) -> None:
    text = "member id is QXR 88120 44 ok"
    fake.default = Reply(body=message(json.dumps([{"text": "88120", "label": "MRN"}, {"text": VALUE, "label": "MRN"}])))
    existing = Span(0, 3, "NAME", "model", 0.3)  # weak span far away: triggers a call
    phi, _ = Fallback(make_config()).resolve(text, [existing], [])
    assert [text[s.start : s.end] for s in phi] == [VALUE]


def test_window_limit_per_message(fake: FakeAnthropic, make_config: Any) -> None:
    text = " ... ".join(f"claim number {i}{i}{i}77 was denied" + " filler" * 30 for i in range(1, 6))
    Fallback(make_config(max_windows_per_message=2)).resolve(text, [], [])
    assert len(fake.received) == 2


def test_injected_client_is_used(fake: FakeAnthropic) -> None:
    client = anthropic.Anthropic(api_key=API_KEY, base_url=fake.url, max_retries=0)
    fake.default = Reply(body=message(ANSWER))
    fb = Fallback(FallbackConfig(enabled=True), client=client)
    assert fb.resolve(TEXT, [], [])[1]


def test_enabled_without_key_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(FallbackError) as err:
        Fallback(FallbackConfig(enabled=True))
    assert err.value.code_id == "E050"


@pytest.mark.parametrize("kwargs", [{"max_calls": -1}, {"window_chars": 5}, {"timeout_s": 0},
                                    {"allowed_labels": ("NAME", "BOGUS")}])  # fmt: skip
def test_bad_config(kwargs: dict[str, Any]) -> None:
    with pytest.raises(FallbackError):
        FallbackConfig(**kwargs)


def test_api_key_not_in_repr() -> None:
    assert "sekrit-value" not in repr(FallbackConfig(api_key="sekrit-value"))


@pytest.mark.parametrize("bad", [None, "", 42])
def test_bad_text_returns_nothing(fake: FakeAnthropic, make_config: Any, bad: Any) -> None:
    assert Fallback(make_config()).resolve(bad, [], []) == ([], [])
    assert fake.received == []
