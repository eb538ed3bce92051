from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fake_anthropic import FakeAnthropic, Reply, error, message

from intakeflow.pipeline.fallback import Fallback

SECRET_NAME = "Ysolde Brannagh"
VALUE = "RX-55 8812"
TEXT = f"From {SECRET_NAME}: referral number {VALUE}, thanks"
ANSWER = json.dumps([{"text": VALUE, "label": "AUTH_NUMBER"}])


def test_max_calls(fake: FakeAnthropic, make_config: Any, caplog: pytest.LogCaptureFixture) -> None:
    fake.default = Reply(body=message(ANSWER))
    fb = Fallback(make_config(max_calls=2))
    with caplog.at_level(logging.WARNING, logger="intakeflow.pipeline.fallback"):
        results = [fb.resolve(TEXT, [], []) for _ in range(4)]
    assert [bool(r[1]) for r in results] == [True, True, False, False]
    assert len(fake.received) == 2
    assert fb.stats.budget_exhausted and fb.stats.skipped_budget == 2
    assert sum("E040" in r.getMessage() for r in caplog.records) == 1


def test_max_usd(fake: FakeAnthropic, make_config: Any) -> None:
    # $1000 per Mtok: the first call reports 500 + 100 tokens = $0.60; a second call's worst
    # case (prompt estimate + 400 output tokens) would pass the $1.00 budget, so it is not sent
    fake.default = Reply(body=message(ANSWER, input_tokens=500, output_tokens=100))
    fb = Fallback(make_config(max_usd=1.0, usd_per_mtok_in=1000, usd_per_mtok_out=1000, max_output_tokens=400))
    assert fb.resolve(TEXT, [], [])[1]
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert len(fake.received) == 1
    assert fb.stats.usd == pytest.approx(0.6) and fb.stats.budget_exhausted


def test_zero_budget_sends_nothing(fake: FakeAnthropic, make_config: Any) -> None:
    fb = Fallback(make_config(max_usd=0.0))
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert fake.received == [] and fb.stats.budget_exhausted


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=message(ANSWER)),
        Reply(body=message(f"not json, but here: {SECRET_NAME} {VALUE}")),
        Reply(body=message(json.dumps([{"text": SECRET_NAME, "label": "BOGUS"}]))),
        Reply(500, error("api_error", 500)),
        Reply(400, {"type": "error", "error": {"type": "invalid_request_error", "message": TEXT}}),
        Reply(body=message(ANSWER), delay_s=1.0),
    ],
)
def test_no_text_in_logs_or_stats(fake: FakeAnthropic, make_config: Any, caplog: pytest.LogCaptureFixture, reply: Reply) -> None:
    fake.default = reply
    sdk_logger = logging.getLogger("anthropic")
    before = sdk_logger.level
    sdk_logger.setLevel(logging.NOTSET)  # undo what earlier tests set: the quieting must come from here
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's included
    fb = Fallback(make_config(timeout_s=0.4, max_calls=1))
    fb.resolve(TEXT, [], [])
    fb.resolve(TEXT, [], [])  # budget refusal path too
    assert fb.stats.calls == 1
    dumped = caplog.text + json.dumps(fb.stats.to_json()) + repr(fb.stats)
    sdk_logger.setLevel(before)
    for piece in (SECRET_NAME, "Ysolde", VALUE, "referral number", "55 8812"):
        assert piece not in dumped
