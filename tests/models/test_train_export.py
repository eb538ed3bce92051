"""A tiny training run on the CPU, export to ONNX, and torch-versus-ONNX parity."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from intakeflow.pipeline.model.runtime import OnnxModel  # noqa: E402
from intakeflow.spec import INTENTS  # noqa: E402
from models.export import export, parity  # noqa: E402
from models.generator import write_jsonl  # noqa: E402
from models.train import train  # noqa: E402
from models.train_args import add_train_args  # noqa: E402


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    write_jsonl(root / "train.jsonl", 48, seed=3)
    args = add_train_args(argparse.ArgumentParser()).parse_args(
        ["--out", str(root / "ckpt"), "--data", str(root / "train.jsonl"), "--tiny", "--cpu",
         "--epochs", "1", "--max-steps", "4", "--batch-size", "8", "--held-out", "16"]
    )  # fmt: skip
    return train(args)


def test_tiny_training_writes_a_checkpoint(checkpoint: Path) -> None:
    meta = json.loads((checkpoint / "model.json").read_text())
    assert meta["intents"] == list(INTENTS)
    assert meta["training"]["steps"] == 4
    assert meta["temperature"] > 0
    assert (checkpoint / "state.pt").stat().st_size > 0


def test_fp32_onnx_matches_torch(checkpoint: Path, tmp_path: Path) -> None:
    art = export(checkpoint, tmp_path / "fp32", quantize=False)
    texts = ["Hi Dr. Okafor, MRN 4471223, call 617-555-0101.", "word " * 700]
    result = parity(checkpoint, art, texts)
    assert result["intent_logits"] < 1e-3
    assert result["phi_logits"] < 1e-3
    assert result["insurance_logits"] < 1e-3
    assert result["phi_tag_agreement"] == 1.0


def test_int8_onnx_stays_close_and_loads(checkpoint: Path, tmp_path: Path) -> None:
    art = export(checkpoint, tmp_path / "int8", quantize=True)
    assert (art / "model.onnx").stat().st_size < (checkpoint / "state.pt").stat().st_size
    result = parity(checkpoint, art, ["My member ID is W99887766 and my copay was $40."])
    assert result["phi_logits"] < 0.5
    model = OnnxModel(art)
    [out] = model.predict(["Please reschedule my appointment."])
    assert out.intent_logits.shape == (len(INTENTS),)


def test_distillation_from_a_teacher_checkpoint(checkpoint: Path, tmp_path: Path) -> None:
    """A student trained with --teacher records it, and the soft-target loss is finite."""
    from models.train import _kd

    data = tmp_path / "train.jsonl"
    write_jsonl(data, 24, seed=5)
    args = add_train_args(argparse.ArgumentParser()).parse_args(
        ["--out", str(tmp_path / "student"), "--data", f"{data}:x2", "--tiny", "--cpu", "--teacher", str(checkpoint),
         "--epochs", "1", "--max-steps", "3", "--batch-size", "8", "--held-out", "8"]
    )  # fmt: skip
    meta = json.loads((train(args) / "model.json").read_text())
    assert meta["training"]["teacher"] == checkpoint.name
    assert meta["training"]["records"] == 48  # the file twice (PATH:x2)
    same = torch.randn(2, 5, 7)
    assert float(_kd(same, same, None, 2.0)) == pytest.approx(0.0, abs=1e-5)
    assert float(_kd(torch.zeros(2, 7), torch.randn(2, 7) * 5, None, 2.0)) > 0
