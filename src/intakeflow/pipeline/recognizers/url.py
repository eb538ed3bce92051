"""Web addresses: ``http(s)://...``, ``www....`` and bare domains of common top-level
domains, optionally with a path (``portal.example.org/pay``). Trailing sentence
punctuation and unbalanced closing brackets are left outside."""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection, Recognizer

SCHEME_RE = re.compile(r"(?<![\w@])(?:https?://|www\.)[^\s<>\"'\]\[{}|\\^`]+", re.IGNORECASE)
_TLDS = r"(?:com|org|net|edu|gov|io|co|us|health|care|info|me|app|ly|biz|clinic|md)"
BARE_RE = re.compile(
    rf"(?<![\w@.:/-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+{_TLDS}(?::\d{{2,5}})?(?:/[^\s<>\"']*)?(?![\w@-])",
    re.IGNORECASE,
)
_TRAIL = ".,;:!?'\"*"


def trim_url(text: str, start: int, end: int) -> int:
    """New end after dropping trailing punctuation and unbalanced closers."""
    while end > start:
        ch = text[end - 1]
        piece = text[start:end]
        if ch in _TRAIL or (ch == ")" and piece.count("(") < piece.count(")")):
            end -= 1
        else:
            break
    return end


class UrlRecognizer(Recognizer):
    NAME: ClassVar[str] = "url"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (SCHEME_RE, BARE_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("scheme", "bare")
    CONTEXT: ClassVar[tuple[str, ...]] = ("link", "website", "site", "portal", "url")

    def analyze(self, text: str) -> list[Detection]:
        out: list[Detection] = []
        for m in self.pat["scheme"].finditer(text):
            end = trim_url(text, m.start(), m.end())
            if end - m.start() > 8:
                out.append(self._det(m.start(), end, "URL", validated=True))
        if "." in text:
            for m in self.pat["bare"].finditer(text):
                end = trim_url(text, m.start(), m.end())
                if not any(m.start() < d.end and d.start < end for d in out):
                    out.append(self._det(m.start(), end, "URL"))
        return out
