from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def emails(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["email"].analyze(text)]


def urls(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["url"].analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email jay.smith@example.com.", "jay.smith@example.com"),
        ("(k_lee+clinic@mail.example.org)", "k_lee+clinic@mail.example.org"),
        ("send to A.B@EXAMPLE.NET, thanks", "A.B@EXAMPLE.NET"),
        ("it's jay dot smith at gmail dot com okay", "jay dot smith at gmail dot com"),
        ("my email is kmiller77 at yahoo dot com.", "kmiller77 at yahoo dot com"),
        ("write to pat underscore q at example.org", "pat underscore q at example.org"),
        ("reach me: x9@sub.example.co", "x9@sub.example.co"),
    ],
)
def test_email_positive(text: str, expected: str) -> None:
    assert emails(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "I'll be at home dot com maybe",  # no local part connector before "at"
        "meet me at the clinic at noon",
        "price is 5 @ 10 each",
        "user@localhost has no domain",
        "see @example on social",
        "rate 3 at 4pm today",
        "jay.smith@ is incomplete",
    ],
)
def test_email_negative(text: str) -> None:
    assert emails(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pay at https://pay.example.com/bill?id=7.", "https://pay.example.com/bill?id=7"),
        ("see www.example.org, thanks", "www.example.org"),
        ("go to portal.example.org/pay now", "portal.example.org/pay"),
        ("(http://example.net/a_(b))", "http://example.net/a_(b)"),
        ("my page linkedin.com/in/someone!", "linkedin.com/in/someone"),
        ("site: brightclinic.health", "brightclinic.health"),
        ("HTTPS://EXAMPLE.COM/X", "HTTPS://EXAMPLE.COM/X"),
    ],
)
def test_url_positive(text: str, expected: str) -> None:
    assert urls(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "email jay.smith@example.com",
        "photo IMG_4471.jpg attached",
        "take 2.5 mg daily",
        "version 1.2.3 released",
        "Dr. Smith said so",
        "e.g. the form",
        "file report.pdf attached",
    ],
)
def test_url_negative(text: str) -> None:
    assert urls(text) == []
