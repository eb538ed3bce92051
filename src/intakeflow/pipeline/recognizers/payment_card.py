"""Payment card numbers -> ACCOUNT: 13-19 digits (spaces or dashes allowed) with a known
issuer prefix and a valid Luhn digit (validated), and the last four digits after
"card/Visa/... ending in" (cue-anchored)."""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import CUE_NEAR_SCORE, Detection, Recognizer, digits_only, luhn_ok

CARD_RE = re.compile(r"(?<![\d-])\d(?:[\x20-]?\d){12,18}(?![\d-])")
# "Visa ending 4417", "card ending in 0042": the last four digits of a card.
PARTIAL_RE = re.compile(
    r"\b(?:card|visa|mastercard|master\s+card|amex|american\s+express|discover|debit|credit)\b[^.\n\d]{0,25}?"
    r"\b(?:ending|ends)(?:\s+(?:in|with))?\s*:?\s*(\d{4})(?!\d)",
    re.IGNORECASE,
)
_ISSUER = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[068]|35|6011|64[4-9]|65|62|2131|1800)")


class PaymentCardRecognizer(Recognizer):
    NAME: ClassVar[str] = "payment_card"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (CARD_RE, PARTIAL_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("card", "partial")
    CONTEXT: ClassVar[tuple[str, ...]] = ("card number", "card ending in", "credit card", "debit card", "visa")

    def analyze(self, text: str) -> list[Detection]:
        out: list[Detection] = []
        for m in self.pat["card"].finditer(text):
            d = digits_only(m.group())
            if 13 <= len(d) <= 19 and _ISSUER.match(d) and luhn_ok(d) and len(set(d)) > 1:
                out.append(self._det(m.start(), m.end(), "ACCOUNT", validated=True))
        for m in self.pat["partial"].finditer(text):
            out.append(self._det(m.start(1), m.end(1), "ACCOUNT", score=CUE_NEAR_SCORE))
        return out
