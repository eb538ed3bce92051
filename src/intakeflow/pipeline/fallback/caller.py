"""One Messages API request through the ``anthropic`` SDK, with failures classified.

The SDK retries 429, 5xx, timeouts and connection errors itself (``max_retries``,
honouring ``retry-after``). What still fails comes back as a :class:`CallFailed` with a
kind and status only: SDK exception messages can echo request or response bodies, so they
are never logged or kept.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any

import anthropic


@dataclass(frozen=True)
class Reply:
    text: str
    input_tokens: int
    output_tokens: int


class CallFailed(Exception):
    def __init__(self, kind: str, status: int = 0, retry_after_s: float | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status
        self.retry_after_s = retry_after_s


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (number or HTTP date)."""
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            return max(0.0, parsed.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _usage(resp: Any, name: str) -> int:
    value = getattr(getattr(resp, "usage", None), name, 0)
    return value if isinstance(value, int) and value >= 0 else 0


def call(client: anthropic.Anthropic, model: str, system: str, user: str, max_tokens: int, timeout_s: float) -> Reply:
    try:
        resp = client.messages.create(
            model=model,
            max_tokens=max_tokens,
            system=system,
            messages=[{"role": "user", "content": user}],
            timeout=timeout_s,
        )
    except anthropic.APITimeoutError:
        raise CallFailed("timeout") from None
    except anthropic.APIConnectionError:
        raise CallFailed("connection") from None
    except anthropic.RateLimitError as exc:
        raise CallFailed("rate_limited", 429, retry_after_seconds(exc.response.headers)) from None
    except anthropic.APIStatusError as exc:
        kind = "server_error" if exc.status_code >= 500 else "client_error"
        raise CallFailed(kind, exc.status_code, retry_after_seconds(exc.response.headers)) from None
    except Exception:  # noqa: BLE001 - malformed bodies surface as assorted SDK/pydantic errors
        raise CallFailed("bad_response") from None
    blocks = getattr(resp, "content", None)
    if not isinstance(blocks, list):
        raise CallFailed("bad_response")
    text = "".join(b.text for b in blocks if getattr(b, "type", None) == "text" and isinstance(b.text, str))
    return Reply(text, _usage(resp, "input_tokens"), _usage(resp, "output_tokens"))
