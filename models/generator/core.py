"""Message composition and the public entry points (generate, write_jsonl)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from intakeflow.errors import E, IntakeflowError
from intakeflow.spec import CHANNELS, INTENTS

from . import slots  # noqa: F401  (registers the slot functions)
from .builder import Builder, Ctx, Frag, pick
from .channels import RENDER
from .noise import noise, style_for
from .templates import BY_INTENT, shared
from .validate import validate_record

# Extra-sentence weights: rare PHI types are boosted so every type is common enough to learn.
_EXTRA_KEYS = (
    "MRN",
    "DOB",
    "PHONE",
    "FAX",
    "EMAIL",
    "ADDRESS",
    "CITY",
    "AGE",
    "SSN",
    "ACCOUNT",
    "LICENSE",
    "VEHICLE",
    "DEVICE",
    "URL",
    "IP",
    "BIOMETRIC",
    "PHOTO",
    "NAME",
    "DATE",
    "INS",
    "AUTH",
    "CLAIM",
)
_EXTRA_W = (1.0, 1.0, 1.2, 0.7, 0.9, 0.8, 0.9, 0.7, 0.6, 0.7, 0.8, 0.7, 0.7, 0.7, 0.5, 0.7, 0.7, 0.8, 0.8, 1.0, 0.45, 0.4)
# How often each intent talks about insurance.
_INS_P = {
    "new_patient_inquiry": 0.35,
    "existing_patient_question": 0.15,
    "appointment_request": 0.12,
    "billing_inquiry": 0.6,
    "clinical_concern": 0.08,
    "complaint": 0.15,
    "price_shopper": 0.35,
}
_CHANNEL_W = (1.0, 1.2, 1.1, 1.0, 1.0, 1.0, 0.9)
_TIERS = ("polished", "casual", "messy")
_TIER_W = (0.4, 0.4, 0.2)


def compose(ctx: Ctx) -> list[list[Frag]]:
    """The sentences of a first-person message: optional intro, core, extras, insurance, hard negatives."""
    r = ctx.rng
    mod = BY_INTENT[ctx.intent]
    body: list[list[Frag]] = [pick(ctx, mod.CORE)]
    if r.random() < 0.3:
        body.append(pick(ctx, mod.CORE))
    n_extra = r.choices((0, 1, 2, 3, 4), (0.15, 0.3, 0.3, 0.17, 0.08))[0]
    if ctx.channel == "sms":
        n_extra = min(n_extra, 2)
    for key in r.choices(_EXTRA_KEYS, _EXTRA_W, k=n_extra):
        body.insert(r.randint(1, len(body)), pick(ctx, shared.EXTRA[key]))
    if r.random() < _INS_P[ctx.intent]:
        body.insert(r.randint(1, len(body)), pick(ctx, shared.EXTRA["INS"]))
    if r.random() < 0.35:
        body.insert(r.randint(0, len(body)), pick(ctx, shared.NEGATIVE))
    if r.random() < (0.25 if ctx.channel == "sms" else 0.5):
        body.insert(0, pick(ctx, shared.INTRO))
    return body


def make_record(rng: random.Random, rid: str, intent: str | None = None, channel: str | None = None) -> dict[str, Any]:
    intent = intent or rng.choice(INTENTS)
    channel = channel or rng.choices(CHANNELS, _CHANNEL_W)[0]
    tier = rng.choices(_TIERS, _TIER_W)[0]
    ctx = Ctx(rng=rng, channel=channel, intent=intent, tier=tier, spoken=channel == "voicemail")
    ctx.flags["long"] = channel == "email" and rng.random() < 0.3
    b = Builder(style_for(channel, tier, rng), rng, noise)
    sents = [] if channel == "hl7_note" else compose(ctx)
    RENDER[channel](ctx, b, sents)
    text = b.text()
    # Stripping can only remove trailing layout whitespace, never a span character.
    stripped = text.rstrip()
    return {"id": rid, "text": stripped, "channel": channel, "intent": intent, "phi": b.phi, "insurance": b.ins}


def generate(n: int, seed: int = 0) -> Iterator[dict[str, Any]]:
    """Yield ``n`` gold records (spec section 4); deterministic for a given seed."""
    rng = random.Random(seed)
    for i in range(n):
        rec = make_record(rng, f"syn-{seed}-{i:07d}")
        problems = validate_record(rec)
        if problems:
            raise IntakeflowError(E.E060_GENERATOR_INVALID, rid=rec["id"], count=len(problems))
        yield rec


def write_jsonl(path: str | Path, n: int, seed: int = 0, progress: bool = False) -> int:
    """Write ``n`` generated records to ``path``; returns the number written."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    it = generate(n, seed)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, total=n, unit="msg")
    with p.open("w", encoding="utf-8") as fh:
        for rec in it:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            count += 1
    return count
