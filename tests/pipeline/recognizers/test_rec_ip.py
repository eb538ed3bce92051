from __future__ import annotations

import pytest

from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def values(text: str) -> list[str]:
    return [text[d.start : d.end] for d in ALL_RECOGNIZERS["ip"].analyze(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login from 192.168.10.24 failed", "192.168.10.24"),
        ("IP: 10.0.0.1.", "10.0.0.1"),
        ("(203.0.113.77)", "203.0.113.77"),
        ("from 2001:db8:85a3::8a2e:370:7334 today", "2001:db8:85a3::8a2e:370:7334"),
        ("v6 fe80::1 seen", "fe80::1"),
        ("full 2001:0db8:0000:0000:0000:ff00:0042:8329 addr", "2001:0db8:0000:0000:0000:ff00:0042:8329"),
        ("mapped ::ffff:198.51.100.5 too", "::ffff:198.51.100.5"),
    ],
)
def test_ip_positive(text: str, expected: str) -> None:
    assert values(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "updated to version 1.2.3 today",
        "app v10.4.2.1 crashed",
        "octets 256.1.1.1 are out of range",
        "on 11.03.1985 I was born",
        "meet at 10:30:45 sharp",
        "sodium 1.2.3.4.5 sequence",
        "MAC 00:1A:2B:3C:4D:5E printed",
        "dose 2.5 mg twice",
    ],
)
def test_ip_negative(text: str) -> None:
    assert values(text) == []
