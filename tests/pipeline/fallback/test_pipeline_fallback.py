"""The fallback inside the pipeline: off by default, called only for unresolved cues,
sent only a window, and its answers added where nothing else was found."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, Reply, message

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.results import PipelineInput

FILLER = "I have been a patient for years and the front desk is always kind to me. " * 4
HEAD = "Good morning, this note is about my knee and the exercises from last month. "
UNRESOLVED = "my medical record number is the one with the letters zulu x-ray then 4"


@pytest.fixture(scope="module")
def base_pipeline() -> Pipeline:
    return Pipeline(PipelineConfig())


def with_fallback(base: Pipeline, config: Any) -> Pipeline:
    return Pipeline(PipelineConfig(fallback=config), model=base.model)


def test_fallback_is_off_by_default(base_pipeline: Pipeline, fake: FakeAnthropic) -> None:
    (res,) = base_pipeline.process([PipelineInput(id="a", text=FILLER + UNRESOLVED)])
    assert res.ok and res.fallback_calls == 0
    assert fake.received == []


def test_unresolved_cue_goes_out_as_a_window_and_comes_back_as_a_span(
    base_pipeline: Pipeline, fake: FakeAnthropic, make_config: Any
) -> None:
    text = HEAD + FILLER + UNRESOLVED
    fake.script.append(Reply(body=message(json.dumps([{"text": "zulu x-ray then 4", "label": "MRN"}]))))
    pipe = with_fallback(base_pipeline, make_config())
    (res,) = pipe.process([PipelineInput(id="b", text=text)])
    assert res.ok
    assert res.fallback_calls == 1 and len(fake.received) == 1
    sent = fake.received[0].user_text
    assert "zulu x-ray then 4" in sent
    assert "knee" not in sent and len(sent) < len(text)  # only a window around the cue leaves the host
    found = [(text[s.start : s.end], s.label, s.source) for s in res.phi]
    assert ("zulu x-ray then 4", "MRN", "fallback") in found
    assert "zulu x-ray" not in (res.redacted_text or "")


def test_resolved_message_makes_no_call(base_pipeline: Pipeline, fake: FakeAnthropic, make_config: Any) -> None:
    pipe = with_fallback(base_pipeline, make_config())
    (res,) = pipe.process([PipelineInput(id="c", text="My MRN is 44120973 and my phone is 617-555-0142.")])
    assert res.ok and res.fallback_calls == 0 and fake.received == []


def test_two_threads_each_get_their_own_calls(base_pipeline: Pipeline, fake: FakeAnthropic, make_config: Any) -> None:
    """``process`` runs on two threads at once in store.processing: a message's fallback
    figures must be its own, not the other thread's call made meanwhile."""
    from concurrent.futures import ThreadPoolExecutor

    fake.default = Reply(body=message("[]"), delay_s=0.4)
    pipe = with_fallback(base_pipeline, make_config())
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda i: pipe.process([PipelineInput(id=f"t{i}", text=HEAD + FILLER + UNRESOLVED)]),
                             range(2)))
    calls = [res.fallback_calls for (res,) in done]
    assert len(fake.received) == 2 and calls == [1, 1]
    assert sum(res.fallback_usd for (res,) in done) == pytest.approx(pipe.fallback.stats.usd if pipe.fallback else -1)
