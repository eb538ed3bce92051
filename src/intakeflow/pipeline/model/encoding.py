"""Text -> model inputs and model outputs -> spans, shared by training and ONNX inference.

Numpy only (no torch), so the run-time path stays light. The tokenizer is uncased and
strips accents; what case and character shape carried is given back to the model as a
per-token ``shape_id`` computed from the original characters through the offsets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from intakeflow.spans import Span

CLS_ID = 101
SEP_ID = 102
PAD_ID = 0

#: shape ids: case (5) x character class (5) x attached-to-previous-token (2), then specials
N_CASE, N_CHAR = 5, 5
SPECIAL_SHAPE = N_CASE * N_CHAR * 2
N_SHAPES = SPECIAL_SHAPE + 1


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    # the packaged tokenizer.json pads and truncates to 128; windows are ours to manage
    tok.no_truncation()
    tok.no_padding()
    return tok


def _case_class(piece: str) -> int:
    letters = [c for c in piece if c.isalpha()]
    if not letters:
        return 0
    if all(c.islower() for c in letters):
        return 1
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return 2 if len(letters) > 1 else 3
    if all(c.isupper() for c in letters):
        return 3
    return 4


def _char_class(piece: str) -> int:
    has_alpha = any(c.isalpha() for c in piece)
    has_digit = any(c.isdigit() for c in piece)
    if has_alpha and has_digit:
        return 2
    if has_digit:
        return 1
    if has_alpha:
        return 0
    if any(not c.isalnum() and not c.isspace() for c in piece):
        return 3
    return 4


@lru_cache(maxsize=1 << 16)
def _piece_shape(piece: str) -> int:
    # word pieces repeat a lot; the cache takes this off the per-message hot path
    return (_case_class(piece) * N_CHAR + _char_class(piece)) * 2


def shape_ids(text: str, offsets: list[tuple[int, int]]) -> np.ndarray:
    out = np.empty(len(offsets), dtype=np.int64)
    prev_end = -1
    for i, (s, e) in enumerate(offsets):
        out[i] = _piece_shape(text[s:e]) + (1 if s == prev_end else 0)
        prev_end = e
    return out


@dataclass
class Encoded:
    """One message tokenised without special tokens; windows index into these arrays."""

    ids: np.ndarray  # (n,) int64
    shapes: np.ndarray  # (n,) int64
    offsets: list[tuple[int, int]]

    def __len__(self) -> int:
        return len(self.offsets)


def encode(tok: Tokenizer, text: str) -> Encoded:
    enc = tok.encode(text, add_special_tokens=False)
    offsets = [(int(s), int(e)) for s, e in enc.offsets]
    return Encoded(np.asarray(enc.ids, dtype=np.int64), shape_ids(text, offsets), offsets)


def windows(n_tokens: int, size: int, stride: int) -> list[tuple[int, int]]:
    """Overlapping token windows covering ``n_tokens``; never truncates.

    ``size`` counts content tokens (CLS/SEP are added around each window).
    """
    if n_tokens <= size:
        return [(0, n_tokens)]
    out: list[tuple[int, int]] = []
    start = 0
    while True:
        end = min(start + size, n_tokens)
        out.append((start, end))
        if end == n_tokens:
            return out
        start += stride


def window_owner(n_tokens: int, wins: list[tuple[int, int]]) -> np.ndarray:
    """For each token, the window in which it sits farthest from an edge (best context)."""
    owner = np.zeros(n_tokens, dtype=np.int64)
    best = np.full(n_tokens, -1, dtype=np.int64)
    for w, (s, e) in enumerate(wins):
        idx = np.arange(s, e)
        margin = np.minimum(idx - s, e - 1 - idx)
        better = margin > best[s:e]
        owner[s:e][better] = w
        best[s:e][better] = margin[better]
    return owner


def pack(enc: Encoded, wins: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack windows into padded (ids, shapes, mask) arrays with CLS/SEP added."""
    width = max(e - s for s, e in wins) + 2
    ids = np.full((len(wins), width), PAD_ID, dtype=np.int64)
    shapes = np.full((len(wins), width), SPECIAL_SHAPE, dtype=np.int64)
    mask = np.zeros((len(wins), width), dtype=np.int64)
    for r, (s, e) in enumerate(wins):
        n = e - s
        ids[r, 0] = CLS_ID
        ids[r, 1 : n + 1] = enc.ids[s:e]
        ids[r, n + 1] = SEP_ID
        shapes[r, 1 : n + 1] = enc.shapes[s:e]
        mask[r, : n + 2] = 1
    return ids, shapes, mask


def bio_targets(
    offsets: list[tuple[int, int]], spans: list[Span], label_index: dict[str, int]
) -> np.ndarray:
    """Token BIO label ids for gold character spans (training side)."""
    out = np.zeros(len(offsets), dtype=np.int64)
    ordered = sorted(spans)
    j = 0
    for i, (s, e) in enumerate(offsets):
        while j < len(ordered) and ordered[j].end <= s:
            j += 1
        if j == len(ordered) or e <= ordered[j].start or s >= ordered[j].end:
            continue
        sp = ordered[j]
        first = s <= sp.start or (i > 0 and offsets[i - 1][1] <= sp.start)
        out[i] = label_index[("B-" if first else "I-") + sp.label]
    return out


def decode_bio(
    offsets: list[tuple[int, int]],
    tag_ids: np.ndarray,
    labels: Sequence[str],
    scores: np.ndarray,
) -> list[Span]:
    """Token tag ids (0 = ``O``) -> character spans; an ``I-x`` that does not continue an
    ``x`` span opens one. Only tagged tokens are visited: most tokens are ``O``."""
    spans: list[Span] = []
    tagged = np.flatnonzero(tag_ids)
    if not tagged.size:
        return spans
    # plain Python lists: per-element numpy access costs more than the loop itself
    idx = tagged.tolist()
    tags = tag_ids[tagged].tolist()
    vals = scores[tagged].tolist()
    start_i = prev_i = idx[0]
    cur_label = labels[tags[0]][2:]
    total, count = vals[0], 1
    for i, tag_id, v in zip(idx[1:], tags[1:], vals[1:]):
        tag = labels[tag_id]
        label = tag[2:]
        if tag[0] == "B" or label != cur_label or prev_i != i - 1:
            spans.append(Span(offsets[start_i][0], offsets[prev_i][1], cur_label, "model", total / count))
            start_i, cur_label, total, count = i, label, v, 1
        else:
            total += v
            count += 1
        prev_i = i
    spans.append(Span(offsets[start_i][0], offsets[prev_i][1], cur_label, "model", total / count))
    return spans
