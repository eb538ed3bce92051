from __future__ import annotations

import pytest

from intakeflow.pipeline.fallback import FallbackConfig
from intakeflow.pipeline.fallback.guard import Guard
from intakeflow.pipeline.fallback.stats import FallbackStats
from intakeflow.pipeline.fallback.triggers import find_triggers
from intakeflow.pipeline.fallback.validate import AnswerRejected, locate, parse_items
from intakeflow.pipeline.fallback.window import build_windows
from intakeflow.spans import Span


def triggers(text: str, known: list[Span] | None = None, hint: bool = True) -> list[tuple[str, tuple[str, ...]]]:
    return [(text[t.start : t.end], t.labels) for t in find_triggers(text, known or [], 40, 0.5, hint)]


def test_longest_cue_wins_and_labels_are_merged() -> None:
    got = triggers("my member id number is 4471")
    assert got == [("member id number", ("HEALTH_PLAN", "MEMBER_ID"))]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN: 8472301", ["MRN"]),
        ("mrn8472301", []),  # cue glued to the value is not a word-bounded cue
        ("the dealer's tag number 8XK 221", ["tag number"]),
        ("Dear team, nothing to see", []),
    ],
)
def test_cue_boundaries(text: str, expected: list[str]) -> None:
    assert [c for c, _ in triggers(text)] == expected


def test_value_hint_required_unless_disabled() -> None:
    assert triggers("I need to file a claim for the ER visit") == []
    assert [c for c, _ in triggers("I need to file a claim for the ER visit", hint=False)] == ["claim"]


def test_cue_inside_found_value_ignored() -> None:
    text = "see https://photos.example.test/photo/1234 now"
    url = Span(4, text.index(" now"), "URL")
    assert triggers(text, [url]) == []


def test_any_structured_span_after_cue_resolves_it() -> None:
    text = "policy number AB 1234 ok"
    assert triggers(text, [Span(14, 21, "ACCOUNT")]) == []
    assert triggers(text, [Span(14, 21, "NAME")]) != []  # a name is not a value for this cue


def test_windows_merge_clip_and_limit() -> None:
    text = "x" * 50 + " MRN 123 and MRN 456 " + "y" * 400 + " MRN 789 " + "z" * 300 + " MRN 000 "
    trig = find_triggers(text, [], 40, 0.5, True)
    wins = build_windows(text, trig, [], 30, 2)
    assert len(wins) == 2
    assert len(wins[0].triggers) == 2  # the two nearby cues share one window
    for w in wins:
        assert w.excerpt == text[w.start : w.end]
        assert w.end - w.start <= 90


def test_mask_and_offset_mapping() -> None:
    text = "Name Odalys Ferreira-Mok, MRN 5521 end"
    name = Span(5, 24, "NAME")
    trig = find_triggers(text, [name], 40, 0.5, True)
    (w,) = build_windows(text, trig, [name], 80, 3)
    assert w.excerpt == "Name [NAME], MRN 5521 end"
    i = w.excerpt.index("5521")
    assert w.to_original(i, i + 4) == (text.index("5521"), text.index("5521") + 4)
    j = w.excerpt.index("[NAME]")
    assert w.to_original(j, j + 6) is None


def test_parse_items_limits() -> None:
    cfg = FallbackConfig(max_items=2, max_answer_chars=100)
    assert parse_items('[{"text": "A1", "label": "MRN"}]', cfg) == ([("A1", "MRN")], 0)
    with pytest.raises(AnswerRejected) as err:
        parse_items("[" + " " * 200 + "]", cfg)
    assert err.value.why == "too_long"
    with pytest.raises(AnswerRejected):
        parse_items('[{"text": "A1", "label": "MRN"}, {}, {}]', cfg)
    with pytest.raises(AnswerRejected):
        parse_items(None, cfg)


def test_locate_every_whole_occurrence() -> None:
    text = "MRN 5521, again MRN 5521; not 55210"
    trig = find_triggers(text, [], 40, 0.5, True)
    (w,) = build_windows(text, trig, [], 80, 3)
    found, missing = locate([("5521", "MRN"), ("9999", "MRN")], w)
    assert [(f.start, f.end) for f in found] == [(4, 8), (20, 24)] and missing == 1


def test_guard_budget_and_breaker() -> None:
    now = [0.0]
    cfg = FallbackConfig(max_calls=3, breaker_failures=2, breaker_cooldown_s=10)
    g = Guard(cfg, FallbackStats(), clock=lambda: now[0])
    assert g.admit(100) is None
    g.failure("timeout", 1.0)
    assert g.admit(100) is None
    g.failure("timeout", 1.0)
    assert g.admit(100) == "breaker"
    now[0] = 11.0
    assert g.admit(100) is None  # half-open trial
    g.success(10, 10, 1.0)
    assert g.admit(100) == "max_calls"
    assert g.stats.calls == 3 and g.stats.breaker_trips == 1


def test_stats_summary_has_only_numbers() -> None:
    s = FallbackStats(latency_ms=[5.0, 1.0, 3.0])
    out = s.to_json()
    assert out["latency_ms"] == {"count": 3.0, "mean": 3.0, "p50": 3.0, "p95": 5.0, "max": 5.0}
    assert all(isinstance(v, int | float | bool | dict) for v in out.values())
