from __future__ import annotations

import json
import time
from typing import Any

from fake_anthropic import FakeAnthropic, Reply, error, message

from intakeflow.pipeline.fallback import Fallback

TEXT = "Please check chart number 55 1920 77 again for me"
ANSWER = json.dumps([{"text": "55 1920 77", "label": "MRN"}])
FAST_RETRY = {"retry-after-ms": "10"}


def test_timeout_is_a_failure_not_an_exception(fake: FakeAnthropic, make_config: Any) -> None:
    fake.default = Reply(body=message(ANSWER), delay_s=1.5)
    fb = Fallback(make_config(timeout_s=0.3, max_retries=0))
    t0 = time.perf_counter()
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert time.perf_counter() - t0 < 1.4
    assert fb.stats.failure_kinds == {"timeout": 1} and fb.stats.successes == 0


def test_429_with_retry_after_then_200(fake: FakeAnthropic, make_config: Any) -> None:
    fake.script = [Reply(429, error("rate_limit_error", 429), {"retry-after-ms": "50"})]
    fake.default = Reply(body=message(ANSWER))
    fb = Fallback(make_config(max_retries=2))
    phi, _ = fb.resolve(TEXT, [], [])
    assert [TEXT[s.start : s.end] for s in phi] == ["55 1920 77"]
    assert len(fake.received) == 2
    assert fake.received[1].headers.get("x-stainless-retry-count") == "1"
    assert (fb.stats.calls, fb.stats.successes, fb.stats.failures) == (1, 1, 0)


def test_429_after_retries_sets_cooldown(fake: FakeAnthropic, make_config: Any) -> None:
    fake.script = [Reply(429, error("rate_limit_error", 429), {"retry-after": "5"})]
    fake.default = Reply(body=message(ANSWER))
    fb = Fallback(make_config(max_retries=0))
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert fb.resolve(TEXT, [], []) == ([], [])  # inside the 5 s cool-down: not sent
    assert len(fake.received) == 1
    assert fb.stats.failure_kinds == {"rate_limited": 1} and fb.stats.skipped_cooldown == 1


def test_cooldown_expires(fake: FakeAnthropic, make_config: Any) -> None:
    fake.script = [Reply(429, error("rate_limit_error", 429), {"retry-after-ms": "100"})]
    fake.default = Reply(body=message(ANSWER))
    fb = Fallback(make_config(max_retries=0))
    fb.resolve(TEXT, [], [])
    time.sleep(0.15)
    assert fb.resolve(TEXT, [], [])[0]


def test_500s_until_giving_up_then_breaker_opens(fake: FakeAnthropic, make_config: Any) -> None:
    fake.default = Reply(500, error("api_error", 500), FAST_RETRY)
    fb = Fallback(make_config(max_retries=2, breaker_failures=2, breaker_cooldown_s=60))
    for _ in range(4):
        assert fb.resolve(TEXT, [], []) == ([], [])
        time.sleep(0.05)  # past the 10 ms retry-after cool-down
    # two failed calls of three attempts each (SDK retries), then the breaker holds
    assert len(fake.received) == 6
    assert fb.stats.failure_kinds == {"server_error": 2}
    assert fb.stats.skipped_breaker == 2 and fb.stats.breaker_trips == 1


def test_breaker_half_opens_and_closes_on_success(fake: FakeAnthropic, make_config: Any) -> None:
    fake.script = [Reply(503, error("overloaded_error", 503)), Reply(503, error("overloaded_error", 503))]
    fake.default = Reply(body=message(ANSWER))
    fb = Fallback(make_config(breaker_failures=2, breaker_cooldown_s=0.1))
    fb.resolve(TEXT, [], [])
    fb.resolve(TEXT, [], [])
    assert fb.resolve(TEXT, [], []) == ([], []) and fb.stats.skipped_breaker == 1
    time.sleep(0.15)
    assert fb.resolve(TEXT, [], [])[0]  # trial call succeeds, breaker closes
    assert fb.resolve(TEXT, [], [])[0]


def test_client_error_is_not_retried(fake: FakeAnthropic, make_config: Any) -> None:
    fake.default = Reply(400, error("invalid_request_error", 400))
    fb = Fallback(make_config(max_retries=2))
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert len(fake.received) == 1 and fb.stats.failure_kinds == {"client_error": 1}


def test_malformed_json_answer_is_rejected(fake: FakeAnthropic, make_config: Any) -> None:
    fake.default = Reply(body=message('Sure! The chart number is "55 1920 77".', 90, 12))
    fb = Fallback(make_config())
    assert fb.resolve(TEXT, [], []) == ([], [])
    st = fb.stats
    assert st.answers_rejected == 1 and st.successes == 1 and st.input_tokens == 90  # paid for, still counted


def test_non_json_http_body_is_a_bad_response(fake: FakeAnthropic, make_config: Any) -> None:
    fake.default = Reply(body=b"<html>gateway says hi</html>")
    fb = Fallback(make_config())
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert fb.stats.failure_kinds == {"bad_response": 1}


def test_connection_refused(make_config: Any) -> None:
    fb = Fallback(make_config(base_url="http://127.0.0.1:9", max_retries=0))
    assert fb.resolve(TEXT, [], []) == ([], [])
    assert fb.stats.failure_kinds == {"connection": 1}
