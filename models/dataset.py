"""Gold records -> padded training windows (training side; needs torch)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

from intakeflow.pipeline.model.encoding import CLS_ID, PAD_ID, SEP_ID, SPECIAL_SHAPE, bio_targets, encode, windows
from intakeflow.spans import Span
from intakeflow.spec import INSURANCE_BIO, INTENTS, PHI_BIO

IGNORE = -100
PHI_INDEX = {t: i for i, t in enumerate(PHI_BIO)}
INS_INDEX = {t: i for i, t in enumerate(INSURANCE_BIO)}
INTENT_INDEX = {t: i for i, t in enumerate(INTENTS)}


@dataclass
class Window:
    ids: np.ndarray
    shapes: np.ndarray
    phi: np.ndarray
    ins: np.ndarray
    intent: int


def record_windows(tok: Tokenizer, rec: dict[str, Any], size: int, stride: int) -> list[Window]:
    text = rec["text"]
    enc = encode(tok, text)
    phi = bio_targets(enc.offsets, [Span.from_json(s) for s in rec.get("phi", [])], PHI_INDEX)
    ins = bio_targets(enc.offsets, [Span.from_json(s) for s in rec.get("insurance", [])], INS_INDEX)
    intent = INTENT_INDEX[rec["intent"]]
    out = []
    for s, e in windows(len(enc), size, stride):
        out.append(Window(enc.ids[s:e], enc.shapes[s:e], phi[s:e], ins[s:e], intent))
    return out


def build_windows(tok: Tokenizer, records: Iterable[dict[str, Any]], size: int, stride: int) -> list[Window]:
    out: list[Window] = []
    for rec in records:
        out.extend(record_windows(tok, rec, size, stride))
    return out


def collate(batch: list[Window]) -> dict[str, torch.Tensor]:
    width = max(len(w.ids) for w in batch) + 2
    n = len(batch)
    ids = torch.full((n, width), PAD_ID, dtype=torch.long)
    shapes = torch.full((n, width), SPECIAL_SHAPE, dtype=torch.long)
    mask = torch.zeros((n, width), dtype=torch.long)
    phi = torch.full((n, width), IGNORE, dtype=torch.long)
    ins = torch.full((n, width), IGNORE, dtype=torch.long)
    for r, w in enumerate(batch):
        k = len(w.ids)
        ids[r, 0], ids[r, k + 1] = CLS_ID, SEP_ID
        ids[r, 1 : k + 1] = torch.from_numpy(w.ids)
        shapes[r, 1 : k + 1] = torch.from_numpy(w.shapes)
        mask[r, : k + 2] = 1
        phi[r, 1 : k + 1] = torch.from_numpy(w.phi)
        ins[r, 1 : k + 1] = torch.from_numpy(w.ins)
    intent = torch.tensor([w.intent for w in batch], dtype=torch.long)
    return {"input_ids": ids, "shape_ids": shapes, "attention_mask": mask, "phi": phi, "ins": ins, "intent": intent}
