"""HL7 v2 escape sequences in TX/FT/ST text (v2.5 section 2.7)."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Delimiters:
    """The separators a message declares in MSH-1 and MSH-2."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str | None = None

    @classmethod
    def from_msh(cls, msh_line: str) -> Delimiters:
        """Read the delimiters from the raw MSH segment (``MSH|^~\\&|...``)."""
        if len(msh_line) < 4 or not msh_line.startswith("MSH"):
            return cls()
        field_sep = msh_line[3]
        enc = msh_line[4:].split(field_sep, 1)[0]
        defaults = "^~\\&"
        chars = [enc[i] if i < len(enc) else defaults[i] for i in range(4)]
        truncation = enc[4] if len(enc) > 4 else None
        return cls(field_sep, chars[0], chars[1], chars[2], chars[3], truncation)


#: most blank lines one ``\.spN\`` expands to: a page of them is presentation, and an
#: unbounded N lets a 90-byte frame become a 100-million-character row
MAX_SPACE_LINES = 50

# Formatting commands of FT (\.br\, \.sp\, \.in+4\, ...); only line breaks carry meaning
# for the text, the others are layout and are dropped.
_FORMATTING = re.compile(r"^\.(br|sp\s*[+-]?\d*|in\s*[+-]?\d*|ti\s*[+-]?\d*|sk\s*[+-]?\d*|ce|fi|nf)$")


def unescape(value: str, delims: Delimiters | None = None) -> str:
    """Resolve escape sequences: ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\P\\``, ``\\Xhh..\\`` and
    FT formatting (``\\.br\\`` and ``\\.sp\\`` become newlines, other commands vanish).

    Unknown or unterminated sequences are kept verbatim: the text is evidence, so a
    malformed escape must not lose characters.
    """
    d = delims or Delimiters()
    esc = d.escape
    if esc not in value:
        return value
    replacements = {
        "F": d.field,
        "S": d.component,
        "T": d.subcomponent,
        "R": d.repetition,
        "E": d.escape,
        "P": d.truncation or "#",
    }
    out: list[str] = []
    i = 0
    n = len(value)
    while i < n:
        ch = value[i]
        if ch != esc:
            out.append(ch)
            i += 1
            continue
        close = value.find(esc, i + 1)
        if close < 0:
            out.append(value[i:])
            break
        seq = value[i + 1 : close]
        decoded = _decode_sequence(seq, replacements)
        if decoded is None:
            # Not an escape we understand: keep the opening delimiter and re-scan after it.
            out.append(ch)
            i += 1
            continue
        out.append(decoded)
        i = close + 1
    return "".join(out)


def _decode_sequence(seq: str, replacements: dict[str, str]) -> str | None:
    if seq in replacements:
        return replacements[seq]
    if seq.startswith("X") and len(seq) > 1:
        return _decode_hex(seq[1:])
    if seq.startswith(".") and _FORMATTING.match(seq):
        if seq == ".br":
            return "\n"
        if seq.startswith(".sp"):
            count = seq[3:].strip().lstrip("+")
            # a digit string too long for int() (over 4,300 digits) is simply "many"
            n = (int(count) if len(count) <= 6 else MAX_SPACE_LINES) if count.isdigit() else 1
            return "\n" * min(max(n, 1), MAX_SPACE_LINES)
        return ""
    if seq.startswith(("H", "N")) and len(seq) == 1:
        # Highlight on/off: presentation only.
        return ""
    return None


def _decode_hex(digits: str) -> str | None:
    if len(digits) % 2 or not all(c in "0123456789abcdefABCDEF" for c in digits):
        return None
    raw = bytes.fromhex(digits)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
