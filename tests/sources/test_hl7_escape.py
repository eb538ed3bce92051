from __future__ import annotations

import pytest

from intakeflow.sources.hl7_escape import Delimiters, unescape


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\\F\\b", "a|b"),
        ("a\\S\\b", "a^b"),
        ("a\\T\\b", "a&b"),
        ("a\\R\\b", "a~b"),
        ("a\\E\\b", "a\\b"),
        ("line one\\.br\\line two", "line one\nline two"),
        ("x\\.sp2\\y", "x\n\ny"),
        ("caf\\XC3A9\\", "café"),
        ("hex \\X41\\", "hex A"),
        ("\\H\\bold\\N\\", "bold"),
        ("no escapes here", "no escapes here"),
    ],
)
def test_unescape_known_sequences(raw: str, expected: str) -> None:
    assert unescape(raw) == expected


@pytest.mark.parametrize("raw", ["dangling \\ escape", "bad \\Xzz\\ hex", "odd \\X123\\ digits", "unknown \\Q\\"])
def test_unescape_keeps_malformed_sequences_verbatim(raw: str) -> None:
    out = unescape(raw)
    # nothing is lost: every non-delimiter character survives
    assert [c for c in out if c != "\\"] == [c for c in raw if c != "\\"]


def test_delimiters_from_msh_custom_separators() -> None:
    d = Delimiters.from_msh("MSH#:*!@#APP")
    assert (d.field, d.component, d.repetition, d.escape, d.subcomponent) == ("#", ":", "*", "!", "@")
    assert unescape("a!F!b", d) == "a#b"
    assert unescape("a\\F\\b", d) == "a\\F\\b"


@pytest.mark.parametrize("count", ["100000000", "9" * 5000, "51"])
def test_space_expansion_is_bounded(count: str) -> None:
    from intakeflow.sources.hl7_escape import MAX_SPACE_LINES

    out = unescape(f"a\\.sp{count}\\b")
    assert out == "a" + "\n" * MAX_SPACE_LINES + "b"
