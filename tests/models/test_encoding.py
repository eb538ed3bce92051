from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer

from intakeflow.pipeline.model.encoding import (
    SPECIAL_SHAPE,
    bio_targets,
    decode_bio,
    encode,
    load_tokenizer,
    pack,
    shape_ids,
    window_owner,
    windows,
)
from intakeflow.spans import Span
from intakeflow.spec import PHI_BIO
from models.base_encoder import base_encoder_dir

PHI_INDEX = {t: i for i, t in enumerate(PHI_BIO)}


@pytest.fixture(scope="module")
def tok() -> Tokenizer:
    return load_tokenizer(base_encoder_dir() / "tokenizer.json")


@pytest.mark.parametrize(
    ("n", "size", "stride"),
    [(0, 10, 5), (5, 10, 5), (10, 10, 5), (11, 10, 5), (1000, 254, 192), (255, 254, 192)],
)
def test_windows_cover_every_token(n: int, size: int, stride: int) -> None:
    wins = windows(n, size, stride)
    covered = np.zeros(n, dtype=bool)
    for s, e in wins:
        assert 0 <= s < e <= n or n == 0
        assert e - s <= size
        covered[s:e] = True
    assert covered.all()
    owner = window_owner(n, wins)
    for i in range(n):
        s, e = wins[owner[i]]
        assert s <= i < e


def test_owner_prefers_window_with_most_context() -> None:
    wins = windows(20, 10, 5)  # (0,10) (5,15) (10,20)
    owner = window_owner(20, wins)
    assert owner[9] == 1  # near the end of window 0, in the middle of window 1
    assert owner[0] == 0 and owner[19] == 2


def test_shape_ids_keep_case_and_digits_the_tokenizer_drops() -> None:
    text = "Okafor OKAFOR okafor 8472 A12"
    offs = [(0, 6), (7, 13), (14, 20), (21, 25), (26, 29)]
    ids = shape_ids(text, offs)
    assert len(set(ids.tolist())) == 5
    assert (ids < SPECIAL_SHAPE).all()


def test_tokenizer_is_not_truncated(tok: Tokenizer) -> None:
    enc = encode(tok, "word " * 2000)
    assert len(enc) == 2000


def test_bio_round_trip(tok: Tokenizer) -> None:
    text = "Hi Dr. Okafor, my MRN is SLP-0093318 and I live at 12 Elm St, Salem."
    gold = [Span(7, 13, "NAME"), Span(25, 36, "MRN"), Span(51, 67, "LOC")]
    enc = encode(tok, text)
    tags = bio_targets(enc.offsets, gold, PHI_INDEX)
    spans = decode_bio(enc.offsets, tags, PHI_BIO, np.ones(len(tags)))
    assert [s.key() for s in spans] == [g.key() for g in gold]


def test_pack_adds_special_tokens(tok: Tokenizer) -> None:
    enc = encode(tok, "short message here")
    ids, shapes, mask = pack(enc, [(0, len(enc))])
    assert ids[0, 0] == 101 and ids[0, len(enc) + 1] == 102
    assert mask.sum() == len(enc) + 2
    assert shapes[0, 0] == SPECIAL_SHAPE


def test_decode_bio_opens_span_on_stray_inside_tag_and_splits_on_gap() -> None:
    offsets = [(0, 3), (4, 7), (8, 11), (12, 15), (16, 19)]
    i_name, b_name, i_loc = PHI_INDEX["I-NAME"], PHI_INDEX["B-NAME"], PHI_INDEX["I-LOC"]
    tags = np.array([i_name, i_name, 0, b_name, i_loc])
    spans = decode_bio(offsets, tags, PHI_BIO, np.full(5, 0.5))
    assert [s.key() for s in spans] == [(0, 7, "NAME"), (12, 15, "NAME"), (16, 19, "LOC")]
    assert all(s.score == 0.5 and s.source == "model" for s in spans)


def test_shared_model_is_loaded_once_per_process() -> None:
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, shared_model

    assert shared_model(str(DEFAULT_ARTIFACT)) is shared_model(str(DEFAULT_ARTIFACT))
    assert shared_model(str(DEFAULT_ARTIFACT), 2) is not shared_model(str(DEFAULT_ARTIFACT), 1)
