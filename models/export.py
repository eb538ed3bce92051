"""Checkpoint -> ONNX artifact folder (int8, per-channel dynamic quantisation).

The artifact folder holds ``model.onnx``, ``tokenizer.json`` and ``model.json``; it is
all that inference needs (onnxruntime + tokenizers, no torch).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from transformers import BertConfig

from models.base_encoder import base_encoder_dir
from models.network import MultiTaskModel

OUTPUT_NAMES = ["intent_logits", "phi_logits", "insurance_logits"]


def load_checkpoint(ckpt: Path, encoder: Path | None = None) -> tuple[MultiTaskModel, dict]:
    meta = json.loads((ckpt / "model.json").read_text())
    model = MultiTaskModel(BertConfig(**meta["encoder_config"]))
    state = {k: v.float() for k, v in torch.load(ckpt / "state.pt", map_location="cpu").items()}
    frozen = meta.get("frozen_from_base", [])
    if frozen:
        from safetensors.torch import load_file

        base = load_file(str((encoder or base_encoder_dir()) / "model.safetensors"))
        for key in frozen:
            # training saw the fp16 copy of the base weights; round the same way
            state[key] = base[key.removeprefix("encoder.")].half().float()
    model.load_state_dict(state)
    model.eval()
    return model, meta


def export(ckpt: Path, out: Path, quantize: bool = True, encoder: Path | None = None) -> Path:
    model, meta = load_checkpoint(ckpt, encoder)
    # eager attention exports as plain MatMul/Softmax, which quantises and runs faster
    # on a CPU than the SDPA pattern (measured: 6.9 vs 7.9 ms per message, one thread)
    model.encoder.config._attn_implementation = "eager"
    out.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[101, 7592, 2026, 102]], dtype=torch.long)
    shapes = torch.zeros_like(ids)
    mask = torch.ones_like(ids)
    dyn = {0: "batch", 1: "seq"}
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        torch.onnx.export(
            model,
            (ids, shapes, mask),
            str(fp32),
            input_names=["input_ids", "shape_ids", "attention_mask"],
            output_names=OUTPUT_NAMES,
            dynamic_axes={
                "input_ids": dyn,
                "shape_ids": dyn,
                "attention_mask": dyn,
                "intent_logits": {0: "batch"},
                "phi_logits": dyn,
                "insurance_logits": dyn,
            },
            opset_version=17,
            dynamo=False,
        )
        target = out / "model.onnx"
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32), str(target), per_channel=True, weight_type=QuantType.QInt8)
        else:
            shutil.copy(fp32, target)
    shutil.copy((encoder or base_encoder_dir()) / "tokenizer.json", out / "tokenizer.json")
    meta = dict(meta, quantization="int8 dynamic per-channel" if quantize else "fp32")
    (out / "model.json").write_text(json.dumps(meta, indent=2))
    return out


def parity(ckpt: Path, artifact: Path, texts: list[str]) -> dict[str, float]:
    """Largest absolute logit difference between torch and ONNX on the given texts."""
    from intakeflow.pipeline.model.encoding import encode, load_tokenizer, pack, windows
    from intakeflow.pipeline.model.runtime import OnnxModel

    model, meta = load_checkpoint(ckpt)
    onnx_model = OnnxModel(artifact)
    tok = load_tokenizer(artifact / "tokenizer.json")
    worst = {name: 0.0 for name in OUTPUT_NAMES}
    agree = []
    for text in texts:
        enc = encode(tok, text)
        ids, shapes, mask = pack(enc, windows(len(enc), meta["window"], meta["stride"]))
        with torch.no_grad():
            ref = model(torch.from_numpy(ids), torch.from_numpy(shapes), torch.from_numpy(mask))
        got = onnx_model.run(ids, shapes, mask)
        for name, r, g in zip(OUTPUT_NAMES, ref, got):
            worst[name] = max(worst[name], float(np.abs(r.numpy() - g).max()))
        agree.append(float((ref[1].argmax(-1).numpy() == got[1].argmax(-1)).mean()))
    return dict(worst, phi_tag_agreement=float(np.mean(agree)))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("checkpoint", help="folder written by train")
    p.add_argument("--out", required=True, help="artifact folder to write")
    p.add_argument("--no-quantize", action="store_true")
    args = p.parse_args(argv)
    print(export(Path(args.checkpoint), Path(args.out), quantize=not args.no_quantize))


if __name__ == "__main__":
    main()
