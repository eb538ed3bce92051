"""The pipeline end to end on the committed model: bad inputs, long messages, batching."""

from __future__ import annotations

import resource
import time

import pytest

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.pipeline.model.runtime import ModelOutput
from intakeflow.results import PipelineInput

LONG_TAIL = "Please call me back, my name is Marisol Quintanilla-Reyes and my number is (617) 555-0142."


@pytest.fixture(scope="module")
def pipe() -> Pipeline:
    return Pipeline(PipelineConfig())


def test_one_result_per_input_in_order(pipe: Pipeline) -> None:
    msgs = [PipelineInput(id=f"m{i}", text=f"I need to reschedule my appointment {i}") for i in range(5)]
    out = pipe.process(msgs)
    assert [r.id for r in out] == [m.id for m in msgs]
    assert all(r.ok and r.intent for r in out)


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "E001"), ("   \n\t ", "E001"), (None, "E003"), (12345, "E003"), ("x" * 200_001, "E002")],
)
def test_bad_input_gets_an_error_result_and_spares_the_batch(pipe: Pipeline, text: object, code: str) -> None:
    good = PipelineInput(id="good", text="My MRN is 44120973, can I get my lab results?")
    bad = PipelineInput(id="bad", text=text)  # type: ignore[arg-type]
    out = pipe.process([good, bad, good])
    assert out[1].error_code == code and out[1].needs_review
    assert out[0].ok and out[2].ok
    assert out[0].phi == out[2].phi


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02 hello \x1b[31m red \x7f",
        "😀😀 my appointment 🎉 tomorrow? 👍🏽",
        "<html><body><p>Hi,</p><p>I need a <b>refill</b> please.</p></body></html>",
        "my number is 1234567890123456789012345678901234567890 ok",
        "broken surrogate \ud800 here",
        "ALL CAPS MESSAGE ABOUT MY BILL FROM AETNA",
    ],
)
def test_odd_text_does_not_crash(pipe: Pipeline, text: str) -> None:
    (res,) = pipe.process([PipelineInput(id="x", text=text)])
    assert res.ok, res.error
    for s in res.phi + res.insurance:
        assert 0 <= s.start < s.end <= len(text)
    assert res.redacted_text is not None


def test_phi_at_the_end_of_a_long_email_is_found(pipe: Pipeline) -> None:
    filler = "We talked about the new medication schedule and the physical therapy plan. " * 60
    text = "Hello team,\n\n" + filler + "\n\n" + LONG_TAIL
    (res,) = pipe.process([PipelineInput(id="long", text=text)])
    assert res.ok
    tail_start = text.index(LONG_TAIL)
    found = {(text[s.start : s.end], s.label) for s in res.phi if s.start >= tail_start}
    assert ("(617) 555-0142", "PHONE") in found
    assert any(label == "NAME" for _, label in found)


def test_a_million_characters_is_bounded(pipe: Pipeline) -> None:
    text = ("lorem ipsum dolor sit amet " * 40_000)[:1_000_000]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    (res,) = pipe.process([PipelineInput(id="huge", text=text)])
    assert res.error_code == "E002"  # above max_chars: refused fast, not processed
    assert time.perf_counter() - t < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB


def test_redacted_text_hides_every_phi_span(pipe: Pipeline) -> None:
    text = "Hi, I'm Tomasz Wierzbicki, DOB 04/17/1962, phone 312-555-0199, email t.wierz@example.com."
    (res,) = pipe.process([PipelineInput(id="r", text=text)])
    assert res.redacted_text is not None
    for s in res.phi:
        assert text[s.start : s.end] not in res.redacted_text
    assert "312-555-0199" not in res.redacted_text


def test_a_message_that_breaks_the_model_fails_alone(pipe: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    real = pipe.model.predict

    def flaky(texts: list[str]) -> list[ModelOutput]:
        if any("POISON" in t for t in texts):
            raise RuntimeError("synthetic model failure")
        return real(texts)

    monkeypatch.setattr(pipe.model, "predict", flaky)
    msgs = [PipelineInput(id="a", text="Can I move my appointment?"), PipelineInput(id="b", text="POISON pill"),
            PipelineInput(id="c", text="My bill from Cigna is wrong.")]  # fmt: skip
    out = pipe.process(msgs)
    assert [r.error_code for r in out] == [None, "E007", None]
    assert "POISON" not in (out[1].error or "")
    assert out[0].intent and out[2].intent
