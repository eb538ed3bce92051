"""Email addresses, written (``jay.smith@example.com``) or spelled out as dictated
("jay dot smith at gmail dot com" -> the whole spelled span)."""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_NEAR_SCORE, Detection, Recognizer

EMAIL_RE = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_])?@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w-])"
)
_CONNECT = r"(?:\s+(?:dot|period|underscore|dash|hyphen)\s+|[._-])"
_TLD = r"(?:com|org|net|edu|gov|us|io|co|me|info|biz)"
SPELLED_RE = re.compile(
    rf"\b[a-z0-9]+(?:{_CONNECT}[a-z0-9]+)*\s+(?:at|@)\s+[a-z0-9-]+(?:(?:\s+dot\s+|\.)[a-z0-9-]+)*?(?:\s+dot\s+|\.){_TLD}\b",
    re.IGNORECASE,
)


# Words that sit before "at" in ordinary speech ("I'll be at home"), never a local part.
_NOT_LOCAL = frozenset(
    "be me us him her them it is was i you we here there back home someone look arrive arrived "
    "stay staying work working currently now still".split()
)


class EmailRecognizer(Recognizer):
    NAME: ClassVar[str] = "email"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (EMAIL_RE, SPELLED_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("email", "spelled")
    CONTEXT: ClassVar[tuple[str, ...]] = ("email", "e-mail", "email address")

    def analyze(self, text: str) -> list[Detection]:
        out = [self._det(m.start(), m.end(), "EMAIL", validated=True) for m in self.pat["email"].finditer(text)]
        if " at " in text.lower() or " @ " in text:
            for m in self.pat["spelled"].finditer(text):
                local = re.split(r"\s", m.group(), maxsplit=1)[0].lower()
                if local in _NOT_LOCAL:
                    continue
                if " " in m.group() and not any(m.start() < d.end and d.start < m.end() for d in out):
                    out.append(self._det(m.start(), m.end(), "EMAIL", score=CUE_NEAR_SCORE))
        return out
