"""IPv4 and IPv6 addresses, validated with :mod:`ipaddress`.

Dotted version numbers ("v1.2.3.4", "version 10.0.0.1") and longer dotted runs are
skipped; IPv6 candidates must parse as an address (times like ``10:30:45`` do not).
"""

from __future__ import annotations

import ipaddress
import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection, Recognizer

IPV4_RE = re.compile(r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6_RE = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{1,4}|:)?:(?:[0-9A-Fa-f]{0,4}:){0,6}"
    r"(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?(?![\w:.])"
)
_VERSION_BEFORE = re.compile(r"(?:\bv|\bver\.?|\bversion|\bbuild|\brelease)\s*$", re.IGNORECASE)


def _valid(candidate: str) -> bool:
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


class IpRecognizer(Recognizer):
    NAME: ClassVar[str] = "ip"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (IPV4_RE, IPV6_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("ipv4", "ipv6")
    CONTEXT: ClassVar[tuple[str, ...]] = ("ip", "ip address", "address")

    def analyze(self, text: str) -> list[Detection]:
        out: list[Detection] = []
        for m in self.pat["ipv4"].finditer(text):
            if _valid(m.group()) and not _VERSION_BEFORE.search(text, max(0, m.start() - 10), m.start()):
                out.append(self._det(m.start(), m.end(), "IP", validated=True))
        if ":" in text:
            for m in self.pat["ipv6"].finditer(text):
                if m.group().count(":") >= 2 and _valid(m.group()):
                    out.append(self._det(m.start(), m.end(), "IP", validated=True))
        return out
