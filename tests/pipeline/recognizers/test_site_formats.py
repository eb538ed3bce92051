"""Site-declared identifier formats: found after configuration, validated, and checked on load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intakeflow.pipeline.recognizers import run_recognizers
from intakeflow.pipeline.recognizers.site_formats import SiteFormat, SiteFormatError, SiteFormats, load_site_formats

MRN = SiteFormat(name="qmc-mrn", phi="MRN", pattern=r"QX\.\d{2}\.\d{4}\.[A-Z]", cues=("chart", "record"))
MEMBER = SiteFormat(name="zq-member", phi="HEALTH_PLAN", insurance="MEMBER_ID", pattern=r"ZQ(?: ?\d){7}", cue_required=False)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("my chart number is QX.07.1192.K thanks", [("QX.07.1192.K", "MRN")]),
        ("record: QX.07.1192.K", [("QX.07.1192.K", "MRN")]),
    ],
)
def test_cued_format_found(text: str, want: list[tuple[str, str]]) -> None:
    phi, _ = run_recognizers(text, SiteFormats((MRN,)).recognizers)
    assert [(text[s.start : s.end], s.label) for s in phi if s.source == "validator" and s.score >= 1.0] == want


@pytest.mark.parametrize(
    "text",
    [
        "the part number QX.07.1192.K is on the box",  # no cue within the window
        "chart AQX.07.1192.K9",  # inside a longer token
    ],
)
def test_cued_format_not_found(text: str) -> None:
    phi, _ = run_recognizers(text, SiteFormats((MRN,)).recognizers)
    assert not any(text[s.start : s.end].startswith("QX") for s in phi)


def test_uncued_format_carries_both_labels() -> None:
    text = "use ZQ 88 1207 3 for the claim"
    phi, ins = run_recognizers(text, SiteFormats((MEMBER,)).recognizers)
    assert ("ZQ 88 1207 3", "HEALTH_PLAN") in [(text[s.start : s.end], s.label) for s in phi]
    assert ("ZQ 88 1207 3", "MEMBER_ID") in [(text[s.start : s.end], s.label) for s in ins]


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({"pattern": "A\\d+", "phi": "NOPE", "cues": ["x"]}, "phi is not"),
        ({"pattern": "A\\d+", "insurance": "MEMBER_ID", "phi": "MRN", "cues": ["x"]}, "is PHI HEALTH_PLAN too"),
        ({"pattern": "A\\d+", "phi": "MRN"}, "requires a cue"),
        ({"pattern": "(", "phi": "MRN", "cues": ["x"]}, "not a valid regex"),
        ({"pattern": "\\d*", "phi": "MRN", "cues": ["x"]}, "empty string"),
        ({"pattern": "A\\d+", "phi": "MRN", "cues": ["x"], "colour": "red"}, "unknown keys"),
    ],
)
def test_bad_formats_are_refused_with_a_catalogue_error(entry: dict[str, object], why: str) -> None:
    with pytest.raises(SiteFormatError, match="E050") as exc:
        SiteFormats.from_json({"formats": [entry]})
    assert why in str(exc.value)


def test_load_from_file_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "site.json"
    path.write_text(json.dumps({"formats": [{"name": "m", "phi": "MRN", "pattern": "QX\\d{4}", "cues": ["chart"]}]}))
    assert [f.name for f in load_site_formats(path).formats] == ["m"]
    monkeypatch.setenv("INTAKEFLOW_SITE_FORMATS", str(path))
    assert len(load_site_formats().recognizers) == 1
    monkeypatch.delenv("INTAKEFLOW_SITE_FORMATS")
    assert load_site_formats().formats == ()
    path.write_text("{not json")
    with pytest.raises(SiteFormatError, match="unreadable"):
        load_site_formats(path)
