"""Property: a full name of any naming culture, placed in a portal message, an SMS or a
voicemail transcript, leaves no token in ``redacted_text`` (the real pipeline, committed
model). hypothesis draws 10 batches of 100 (name, context) pairs; the batch is the example
so the model runs batched. Failures report counts per culture and context, never a name."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from name_pools import POOLS, TEMPLATES, DrawnName, named_message, surviving_tokens

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.results import PipelineInput

pytestmark = pytest.mark.slow

BATCH = 100
BATCHES = 10


@pytest.fixture(scope="module")
def pipe() -> Pipeline:
    return Pipeline(PipelineConfig())


def test_templates_hold_no_name_token() -> None:
    """Otherwise a token could 'survive' from the template itself."""
    names = [DrawnName("pool", entry) for pool in POOLS for entry in pool]
    assert len(names) > 200
    assert [n for n in names for t in TEMPLATES.values() if surviving_tokens(n, t.format(name=""))] == []


def test_the_check_finds_a_surviving_token() -> None:
    name = DrawnName("irish_o_mc", "Aoife O'Sullivan")
    assert surviving_tokens(name, "hi its [NAME] O'Sullivan") == ["Sullivan"]
    assert surviving_tokens(name, "hi its [NAME] [NAME]") == []


def test_no_name_token_survives_redaction(pipe: Pipeline) -> None:
    tried: Counter[str] = Counter()
    leaked: Counter[tuple[str, str]] = Counter()
    leaked_tokens = 0
    distinct: set[str] = set()

    # The inner test never raises: hypothesis would print a falsifying example (names) if
    # it did. It records counts; the assertion below reports categories only.
    @settings(max_examples=BATCHES, deadline=None, derandomize=True, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.lists(named_message(), min_size=BATCH, max_size=BATCH))
    def run(batch: list[tuple[DrawnName, str]]) -> None:
        nonlocal leaked_tokens
        inputs = [PipelineInput(id=str(i), text=TEMPLATES[ctx].format(name=n.full)) for i, (n, ctx) in enumerate(batch)]
        for (name, ctx), res in zip(batch, pipe.process(inputs), strict=True):
            tried[name.culture] += 1
            distinct.add(name.full)
            left = surviving_tokens(name, res.redacted_text or "") if res.ok else name.tokens()
            if left:
                leaked[(name.culture, ctx)] += 1
                leaked_tokens += len(left)

    run()
    assert sum(tried.values()) == BATCH * BATCHES
    assert len(tried) >= 12 and len(distinct) >= 500, (len(tried), len(distinct))
    assert not leaked, (
        f"{sum(leaked.values())} of {sum(tried.values())} names left {leaked_tokens} tokens; "
        f"by culture: {dict(sorted(_sum_by(leaked, 0).items()))}; by context: {dict(sorted(_sum_by(leaked, 1).items()))}"
    )


def _sum_by(counts: Counter[tuple[str, str]], index: int) -> Counter[str]:
    out: Counter[str] = Counter()
    for key, n in counts.items():
        out[key[index]] += n
    return out
