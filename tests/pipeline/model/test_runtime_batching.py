"""Windows batched into one onnxruntime call give exactly the answers they give alone.

A statically quantised artifact (``models/quantize_static.py``: fixed activation scales,
integer GEMMs) gives a window the same logits whatever windows share its call and however
far it is padded. This checks it bit for bit on texts written for it: short and long, one
window and several, PHI and insurance heavy and plain. It runs on the committed artifact
when that is the static one, else on a static artifact made from it here (calibrated on a
few corpus records only: batch invariance does not depend on the calibration). A
dynamically quantised artifact is not batch-invariant and must keep one window per call.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from intakeflow.pipeline import Pipeline, PipelineConfig
from intakeflow.pipeline.model.encoding import encode, windows
from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, ModelOutput, OnnxModel

SHORT = [
    "hi",
    "Can I move my appt to Friday?",
    "need refill on lisinopril 10mg pls",
    "This is Dolores Whitfield-Okafor, DOB 4/17/1951, calling about my bill.",
    "my son Mateo has a fever of 102.8 since last night, do we come in?",
    "Member ID XJK449201557, group 88213, Aetna Choice POS II. Is my copay $40?",
    "how much is a new patient visit without insurance",
    "I was charged twice for the 3/2 visit, claim # 2024-118-55731. Call 617-555-0142.",
    "New here! Do you take BCBS PPO? I'm 34 and need a physical.",
    "Pt's daughter called: mother (age 93) fell at home, MRN 00418823, wants a callback at (978) 555-0199.",
    "ur front desk was so rude to me today, I want to talk to a manager",
    "email me the forms at k.tran88@example.com",
    "Fax the records to 508-555-7731 attn Dr. Abernathy",
    "SSN ends in 0419, policy number U7731-4420, subscriber is my husband Raj Patel",
    "Voicemail: yeah hi it's uh Gloria Esperanza Villanueva, v-i-l-l-a-n-u-e-v-a,"
    " my number is five oh eight five five five two two one nine",
    "Auth number 9917345 for the MRI was denied, what now?",
    "¿Tienen citas el sábado? Me llamo José Ángel Núñez.",
    "Deductible met? I've paid $1,250 of $2,000 this year (UnitedHealthcare HMO, member 993 220 481).",
    "?",
    "Appointment for 10/03 at 9:15am with Dr. Okonkwo-Bell, please confirm.",
    "My license plate is 7TRV 442 and I got a parking ticket in your lot",
    "IP 192.168.14.201 keeps getting locked out of the patient portal",
    "I'm the guardian of Aiden Liu (DOB 2011-08-30), his Medicaid ID is 44-8812-09.",
]

_PHI_SENTENCES = [
    "My name is Henrietta Castellanos and my date of birth is March 3, 1948.",
    "You can reach me at 413-555-0170 or at henrietta.castellanos@example.org.",
    "I live at 1184 Old Quarry Road, Apt 3B, Northampton, MA 01060.",
    "My MRN should be 55120473 and my account number is AC-77310982.",
    "Insurance is Harvard Pilgrim HMO, member ID HPX20481177, group number 330918.",
    "The claim for my visit on January 9th (claim 7719-3381-20) was denied.",
    "My husband Bartholomew is the subscriber and his policy number is P-448120-77.",
    "I was billed $482.19 and my copay should have been $25.",
    "The pacemaker serial number is PMX-99120-4471 if that matters.",
    "Please send the prior authorization, auth number A-55891203, to my pharmacy.",
    "My daughter Priyanka Venkataraman-Cole can sign for me; her number is 774 555 0138.",
    "I have had chest tightness on and off since last Tuesday and I am worried.",
]


def _long(seed: int, sentences: int) -> str:
    rng = random.Random(seed)
    parts = ["Hello, I am writing because I have several questions and a complaint."]
    parts += [rng.choice(_PHI_SENTENCES) for _ in range(sentences)]
    parts.append("Thank you, and please call me back as soon as you can.")
    return " ".join(parts)


# one window of 40-250 tokens (lengths close together: several share a padded call)
MEDIUM = [_long(100 + seed, n) for seed, n in enumerate((1, 2, 2, 3, 3, 4, 5, 7, 9))]
# several overlapping windows (254 tokens, stride 192)
LONG = [_long(seed, n) for seed, n in enumerate((12, 18, 25, 31, 40, 55, 70, 90))]
TEXTS = SHORT + MEDIUM + LONG


def _assert_same(a: ModelOutput, b: ModelOutput) -> None:
    assert np.array_equal(a.intent_logits, b.intent_logits)
    assert a.phi == b.phi
    assert a.insurance == b.insurance
    for x, y in ((a.phi_any, b.phi_any), (a.phi_best, b.phi_best), (a.phi_tags, b.phi_tags)):
        assert (x is None) == (y is None)
        if x is not None and y is not None:
            assert np.array_equal(x, y)


def _calls(model: OnnxModel) -> list[tuple[int, int]]:
    """Record the (windows, width) of every onnxruntime call the model makes."""
    shapes: list[tuple[int, int]] = []
    run = model.run

    def recording(ids: np.ndarray, shapes_: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        shapes.append(ids.shape)
        return run(ids, shapes_, mask)

    model.run = recording  # type: ignore[method-assign,assignment]
    return shapes


def _is_static(artifact: Path) -> bool:
    return json.loads((artifact / "model.json").read_text()).get("batch_invariant") is True


@pytest.fixture(scope="module")
def static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch-invariant artifact: the committed one, or one quantised from it here."""
    if _is_static(DEFAULT_ARTIFACT):
        return DEFAULT_ARTIFACT
    from models.quantize_static import quantize

    out = tmp_path_factory.mktemp("static")
    quantize(DEFAULT_ARTIFACT, out, check=False, max_records=24)
    return out


@pytest.fixture(scope="module")
def alone(static: Path) -> list[ModelOutput]:
    """Every text on its own, one window per call: the reference."""
    model = OnnxModel(static, batch_windows=1)
    calls = _calls(model)
    out = [model.predict([t])[0] for t in TEXTS]
    assert all(n == 1 for n, _ in calls)
    return out


def test_texts_cover_short_and_multi_window() -> None:
    model = OnnxModel(DEFAULT_ARTIFACT)
    counts = [len(windows(len(encode(model.tokenizer, t)), model.window, model.stride)) for t in TEXTS]
    assert len(TEXTS) >= 36 and counts.count(1) >= 30 and max(counts) >= 8 and len({c for c in counts if c > 1}) >= 5


def test_static_artifact_batches_by_default(static: Path) -> None:
    model = OnnxModel(static)
    assert model.batch_invariant and model.batch_windows == OnnxModel.DEFAULT_BATCH_WINDOWS > 1
    assert Pipeline(PipelineConfig(model_path=static)).model.batch_windows == model.batch_windows
    assert OnnxModel(static, batch_windows=1).batch_windows == 1


@pytest.mark.parametrize("threads", [1, 2])
def test_everything_padded_into_few_calls_matches_alone(static: Path, alone: list[ModelOutput], threads: int) -> None:
    # no padding allowance: one call per 64 windows, every window padded to the longest
    model = OnnxModel(static, threads=threads, batch_windows=64)
    model.pad_tokens, model.pad_fraction = 10**9, 0.0
    calls = _calls(model)
    batched = model.predict(TEXTS)
    assert max(n for n, _ in calls) > 16 and len({w for _, w in calls}) <= threads + 1
    for a, b in zip(alone, batched):
        _assert_same(a, b)


def test_default_buckets_and_any_order_match_alone(static: Path, alone: list[ModelOutput]) -> None:
    model = OnnxModel(static, threads=2)
    calls = _calls(model)
    order = list(range(len(TEXTS)))
    random.Random(7).shuffle(order)
    for start in range(0, len(order), 13):  # batches of another size, another mix
        part = order[start : start + 13]
        for i, out in zip(part, model.predict([TEXTS[i] for i in part])):
            _assert_same(alone[i], out)
    assert any(n > 1 for n, _ in calls)


def test_dynamic_artifact_keeps_one_window_per_call(tmp_path: Path) -> None:
    dynamic = DEFAULT_ARTIFACT
    if _is_static(dynamic):  # the same files without the flag: what the runtime decides on
        dynamic = tmp_path / "dynamic"
        shutil.copytree(DEFAULT_ARTIFACT, dynamic)
        meta = json.loads((dynamic / "model.json").read_text())
        meta.pop("batch_invariant")
        (dynamic / "model.json").write_text(json.dumps(meta))
    for asked in (None, 1, 16):
        model = OnnxModel(dynamic, threads=2, batch_windows=asked)
        assert not model.batch_invariant and model.batch_windows == 1
        calls = _calls(model)
        model.predict(TEXTS[:12] + LONG[:2])
        assert calls and all(n == 1 for n, _ in calls)
    assert Pipeline(PipelineConfig(model_path=dynamic, batch_windows=8)).model.batch_windows == 1


@pytest.mark.parametrize(
    ("pad_tokens", "pad_fraction", "groups"),
    [(0, 0.0, [[5], [6, 6], [7], [30], [31, 31], [120], [121], [250], [252, 252, 252]]),
     (8, 0.04, [[5, 6, 6, 7], [30, 31, 31], [120, 121], [250, 252, 252, 252]])],
)
def test_buckets_keep_padding_within_the_allowance(
    static: Path, pad_tokens: int, pad_fraction: float, groups: list[list[int]]
) -> None:
    model = OnnxModel(static, batch_windows=16)
    model.pad_tokens, model.pad_fraction = pad_tokens, pad_fraction
    lengths = [5, 6, 6, 7, 30, 31, 31, 120, 121, 250, 252, 252, 252]
    flat = [(i, 0) for i in range(len(lengths))]
    chunks = model._buckets(flat, lengths)
    assert [k for c in chunks for k in c] == flat  # every window once, in order
    for chunk in chunks:
        n = [lengths[m] + 2 for m, _ in chunk]
        assert len(n) * max(n) - sum(n) <= pad_tokens + pad_fraction * sum(n)
    assert [[lengths[m] for m, _ in c] for c in chunks] == groups
    model.batch_windows = 2
    assert max(len(c) for c in model._buckets(flat, lengths)) == 2
