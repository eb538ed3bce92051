"""Fine-tune the multi-task model on generated data (GPU for real runs, CPU for --tiny).

Writes a checkpoint folder: ``state.pt`` (fp16 weights), ``model.json`` (labels, encoder
config, window sizes, calibration temperature, training facts). ``export.py`` turns it
into the ONNX artifact that inference uses.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from intakeflow.pipeline.model.encoding import N_SHAPES, load_tokenizer
from intakeflow.pipeline.routing import fit_temperature
from intakeflow.spec import INSURANCE_BIO, INTENTS, PHI_BIO
from models.base_encoder import base_encoder_dir
from models.dataset import IGNORE, Window, build_windows, collate
from models.network import MultiTaskModel, load_base
from models.train_args import add_train_args

WINDOW = 254
STRIDE = 192


def _batches(data: list[Window], batch_size: int, rng: random.Random) -> Iterator[list[Window]]:
    # bucket by length so padding stays small, then shuffle the buckets
    order = sorted(range(len(data)), key=lambda i: len(data[i].ids) + rng.random() * 8)
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(chunks)
    for c in chunks:
        yield [data[i] for i in c]


def data_sources(specs: list[str]) -> list[tuple[Path, int]]:
    """``PATH`` or ``PATH:xN`` -> (path, repeats)."""
    out = []
    for spec in specs:
        path, _, rep = spec.rpartition(":x") if ":x" in spec else (spec, "", "1")
        out.append((Path(path), int(rep)))
    return out


def _load_records(args: argparse.Namespace, seed: int, n: int) -> list[dict[str, Any]]:
    if args.data:
        recs: list[dict[str, Any]] = []
        for path, repeats in data_sources(args.data):
            with open(path, encoding="utf-8") as fh:
                part = [json.loads(line) for line in fh if line.strip()]
            recs += part * repeats
        return recs
    from models.generator import generate

    return list(generate(n, seed=seed))


@torch.no_grad()
def evaluate(model: MultiTaskModel, data: list[Window], device: torch.device) -> dict[str, Any]:
    model.eval()
    logits_all: list[np.ndarray] = []
    labels_all: list[int] = []
    tok = {"phi": [0, 0, 0], "ins": [0, 0, 0]}  # tp, fp, fn over non-O tokens
    for i in range(0, len(data), 128):
        b = collate(data[i : i + 128])
        b = {k: v.to(device) for k, v in b.items()}
        il, pl, nl = model(b["input_ids"], b["shape_ids"], b["attention_mask"])
        logits_all.append(il.float().cpu().numpy())
        labels_all += b["intent"].tolist()
        for name, lg in (("phi", pl), ("ins", nl)):
            gold = b[name]
            pred = lg.argmax(-1)
            valid = gold != IGNORE
            g_pos = valid & (gold != 0)
            p_pos = valid & (pred != 0)
            tok[name][0] += int((g_pos & p_pos & (gold == pred)).sum())
            tok[name][1] += int((p_pos & ~(g_pos & (gold == pred))).sum())
            tok[name][2] += int((g_pos & ~(p_pos & (gold == pred))).sum())
    model.train()
    logits = np.concatenate(logits_all)
    labels = np.asarray(labels_all)
    out: dict[str, Any] = {"intent_acc": float((logits.argmax(1) == labels).mean())}
    for name, (tp, fp, fn) in tok.items():
        out[f"{name}_token_f1"] = 2 * tp / max(1, 2 * tp + fp + fn)
    out["_logits"], out["_labels"] = logits, labels
    return out


def train(args: argparse.Namespace) -> Path:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() and not args.cpu else "cpu")
    enc_dir = Path(args.encoder) if args.encoder else base_encoder_dir()
    tok = load_tokenizer(enc_dir / "tokenizer.json")

    t0 = time.time()
    train_recs = _load_records(args, args.seed, args.n)
    # held-out set from another seed: used for calibration and a sanity figure only
    # (a split from the training generator overstates accuracy on real messages)
    held_recs = list(_held_out(args))
    train_w = build_windows(tok, train_recs, WINDOW, STRIDE)
    held_w = build_windows(tok, held_recs, WINDOW, STRIDE)
    print(f"data: {len(train_recs)} records, {len(train_w)} windows, held-out {len(held_w)} ({time.time() - t0:.1f}s)")

    model = load_base(enc_dir, tiny=args.tiny, layers=args.layers).to(device)
    # the word-embedding table is half the weights; frozen, it need not travel back from
    # the GPU machine (export takes it from the base encoder) and fine-tuning loses little
    frozen = "encoder.embeddings.word_embeddings.weight"
    if not args.tiny:
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    heads = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    body = [p for n, p in model.named_parameters() if n.startswith("encoder.") and p.requires_grad]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": args.lr}, {"params": heads, "lr": args.head_lr}], weight_decay=0.01
    )
    steps_per_epoch = math.ceil(len(train_w) / args.batch_size)
    total = args.max_steps or steps_per_epoch * args.epochs
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm))
    )
    ce = nn.CrossEntropyLoss(ignore_index=IGNORE)
    use_amp = device.type == "cuda"
    teacher = _load_teacher(args, device)
    step = 0
    model.train()
    for epoch in range(args.epochs):
        for batch in _batches(train_w, args.batch_size, rng):
            b = {k: v.to(device, non_blocking=True) for k, v in collate(batch).items()}
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                il, pl, nl = model(b["input_ids"], b["shape_ids"], b["attention_mask"])
            loss = (
                ce(il.float(), b["intent"])
                + ce(pl.float().flatten(0, 1), b["phi"].flatten())
                + ce(nl.float().flatten(0, 1), b["ins"].flatten())
            )
            if teacher is not None:
                with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_amp):
                    t_out = teacher(b["input_ids"], b["shape_ids"], b["attention_mask"])
                valid = b["phi"] != IGNORE
                kd = _kd(il, t_out[0], None, args.kd_temperature)
                kd = kd + _kd(pl, t_out[1], valid, args.kd_temperature) + _kd(nl, t_out[2], valid, args.kd_temperature)
                loss = (1 - args.kd_weight) * loss + args.kd_weight * kd
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 200 == 0:
                print(f"epoch {epoch} step {step}/{total} loss {loss.item():.4f} ({time.time() - t0:.0f}s)", flush=True)
            if step >= total:
                break
        metrics = evaluate(model, held_w, device)
        print(f"epoch {epoch}: " + json.dumps({k: round(v, 4) for k, v in metrics.items() if not k.startswith("_")}), flush=True)
        if step >= total:
            break

    metrics = evaluate(model, held_w, device)
    temperature = fit_temperature(metrics["_logits"], metrics["_labels"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu", torch.float16)
        for k, v in model.state_dict().items()
        if args.tiny or k != frozen
    }
    torch.save(state, out / "state.pt")
    enc_cfg = json.loads((enc_dir / "config.json").read_text())
    if args.layers:
        enc_cfg["num_hidden_layers"] = args.layers
    if args.tiny:
        enc_cfg.update(num_hidden_layers=2, hidden_size=64, intermediate_size=128, num_attention_heads=2)
    meta = {
        "name": "intakeflow-minilm-multitask",
        "version": args.version,
        "intents": list(INTENTS),
        "phi_labels": list(PHI_BIO),
        "insurance_labels": list(INSURANCE_BIO),
        "n_shapes": N_SHAPES,
        "window": WINDOW,
        "stride": STRIDE,
        "temperature": float(temperature),
        "frozen_from_base": [] if args.tiny else [frozen],
        "encoder_config": {k: v for k, v in enc_cfg.items() if not k.startswith("_")},
        "training": {
            "records": len(train_recs),
            "windows": len(train_w),
            "seed": args.seed,
            "epochs": args.epochs,
            "steps": step,
            "batch_size": args.batch_size,
            "lr": args.lr,
            "head_lr": args.head_lr,
            "teacher": Path(args.teacher).name if args.teacher else None,
            "device": device.type,
            "seconds": round(time.time() - t0, 1),
            "held_out_generated": {k: round(v, 4) for k, v in metrics.items() if not k.startswith("_")},
        },
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2))
    print(f"saved {out} temperature={temperature:.3f}")
    return out


def _load_teacher(args: argparse.Namespace, device: torch.device) -> nn.Module | None:
    """The frozen teacher of ``--teacher`` (any depth; same tokenizer and label sets)."""
    if not args.teacher:
        return None
    from models.export import load_checkpoint

    teacher, meta = load_checkpoint(Path(args.teacher), Path(args.encoder) if args.encoder else None)
    if meta["phi_labels"] != list(PHI_BIO) or meta["insurance_labels"] != list(INSURANCE_BIO):
        raise SystemExit("teacher was trained on other label sets")
    return teacher.to(device).eval()


def _kd(student: torch.Tensor, teacher: torch.Tensor, valid: torch.Tensor | None, temperature: float) -> torch.Tensor:
    """KL(teacher || student) on softened distributions (Hinton et al. 2015), scaled by T^2;
    over the valid token positions only for the tagging heads."""
    t = temperature
    s_log = torch.log_softmax(student.float() / t, dim=-1)
    t_prob = torch.softmax(teacher.float() / t, dim=-1)
    kl = (t_prob * (torch.log(t_prob.clamp_min(1e-9)) - s_log)).sum(-1)
    if valid is not None:
        kl = kl[valid]
    return kl.mean() * t * t


def _held_out(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    from models.generator import generate

    yield from generate(args.held_out, seed=args.seed + 10_007)


def main(argv: list[str] | None = None) -> None:
    train(add_train_args(argparse.ArgumentParser(description=__doc__)).parse_args(argv))


if __name__ == "__main__":
    main()
