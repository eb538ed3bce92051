"""A site's own identifier formats, unseen by the model, are found once the site declares them."""

from __future__ import annotations

import pytest

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.pipeline.recognizers.site_formats import SiteFormats
from intakeflow.results import PipelineInput

SITE = SiteFormats.from_json(
    {
        "formats": [
            {"name": "wristband-mrn", "phi": "MRN", "pattern": r"K-QX-\d-\d{4}", "cues": ["wristband", "band"]},
            {
                "name": "lakeside-member",
                "phi": "HEALTH_PLAN",
                "insurance": "MEMBER_ID",
                "pattern": r"LK\*\d{4}\*\d{2}",
                "cues": ["Lakeside"],
            },
        ]
    }
)
CASES = [
    ("My wristband said K-QX-7-1192 when I was admitted, can you send the discharge papers?", "K-QX-7-1192", "MRN", None),
    ("The form asks for my Lakeside id, it is LK*7731*22, is that right?", "LK*7731*22", "HEALTH_PLAN", "MEMBER_ID"),
]


@pytest.fixture(scope="module")
def pipelines() -> tuple[Pipeline, Pipeline]:
    plain = Pipeline()
    return plain, Pipeline(PipelineConfig(site_formats=SITE), model=plain.model)


@pytest.mark.parametrize(("text", "value", "phi", "insurance"), CASES)
def test_site_format_found_only_after_configuration(
    pipelines: tuple[Pipeline, Pipeline], text: str, value: str, phi: str, insurance: str | None
) -> None:
    plain, site = pipelines
    before = plain.process([PipelineInput("m", text)])[0]
    after = site.process([PipelineInput("m", text)])[0]
    got_before = {(text[s.start : s.end], s.label) for s in before.phi + before.insurance}
    got_after = {(text[s.start : s.end], s.label) for s in after.phi + after.insurance}
    # the shipped model does not know these formats: wrong type or wrong extent without the declaration
    assert not ({(value, phi)} | ({(value, insurance)} if insurance else set())) <= got_before
    assert (value, phi) in got_after
    if insurance:
        assert (value, insurance) in got_after
    assert value not in (after.redacted_text or "")
