"""Regression floors on the independent dev sample, set just below what the shipped model
reaches (README): a drop here means the model, validators or merge got worse."""

from __future__ import annotations

from pathlib import Path

import pytest

from intakeflow.evaluation import Report, score
from intakeflow.jsonl import read_gold, result_record
from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.results import PipelineInput

DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev-sample.jsonl"


@pytest.fixture(scope="module")
def report() -> Report:
    if not DEV.is_file():
        pytest.skip("shared/data/dev-sample.jsonl is not beside the project")
    gold = read_gold(DEV)
    pipe = Pipeline(PipelineConfig())
    res = pipe.process([PipelineInput(id=g["id"], text=g["text"], channel=g.get("channel")) for g in gold])
    assert all(r.ok for r in res)
    return score(gold, [result_record(r) for r in res])


def test_intent_floor(report: Report) -> None:
    assert report.intent_macro_f1 >= 0.95


def test_phi_floor(report: Report) -> None:
    assert report.phi.macro_f1 >= 0.94
    assert report.redaction_recall >= 0.995
    assert report.over_redaction <= 0.05


def test_insurance_floor(report: Report) -> None:
    assert report.insurance.macro_f1 >= 0.92


@pytest.mark.parametrize(
    ("label", "floor"),
    [("NAME", 0.98), ("DATE", 0.97), ("PHONE", 0.98), ("LOC", 0.85), ("MRN", 0.9), ("HEALTH_PLAN", 0.9), ("SSN", 0.8)],
)
def test_per_type_floor(report: Report, label: str, floor: float) -> None:
    assert report.phi.per_type[label].f1 >= floor
