"""The hybrid pipeline: model, then validators, then the optional frontier fallback.

``Pipeline.process`` is batched and I/O-free: it takes :class:`PipelineInput` values and
returns one :class:`PipelineResult` per input, in order. A message that cannot be
processed gets a result with ``error_code`` set; it never fails the batch.

Stages per message (see ARCHITECTURE.md):
1. ``check``     input checks (type, empty, size) -> error result
2. ``model``     ONNX multi-task model: intent logits, PHI and insurance spans
3. ``validate``  recognizers for structured identifiers, merge policy, boundary repair
4. ``fallback``  opt-in frontier API, only windows around unresolved identifier cues
5. ``output``    redacted text, normalised insurance JSON, calibrated intent and routing
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from intakeflow.errors import E, InputError, IntakeflowError
from intakeflow.pipeline.anonymizers import RedactionConfig, redact
from intakeflow.pipeline.boundary import repair
from intakeflow.pipeline.decoding import cover, decode_insurance, decode_phi, name_tails, pair_with_phi
from intakeflow.pipeline.fallback.config import FallbackConfig
from intakeflow.pipeline.insurance import normalise
from intakeflow.pipeline.merge import merge
from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, ModelOutput, OnnxModel
from intakeflow.pipeline.recognizers import run_recognizers
from intakeflow.pipeline.recognizers.site_formats import SiteFormats
from intakeflow.pipeline.routing import RoutingConfig, route
from intakeflow.results import MAX_TEXT_CHARS, PipelineInput, PipelineResult
from intakeflow.spans import Span

if TYPE_CHECKING:
    from intakeflow.pipeline.fallback.resolver import Fallback

# lone surrogates (from JSON escapes) break the tokenizer; same-length stand-in keeps offsets
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class PipelineConfig:
    model_path: Path = DEFAULT_ARTIFACT
    threads: int = 1
    #: most windows per onnxruntime call; ``None``: the artifact's choice (several for a
    #: batch-invariant artifact, one for a dynamically quantised one, whatever is asked)
    batch_windows: int | None = None
    #: longer messages get an E002 error result instead of unbounded work
    max_chars: int = MAX_TEXT_CHARS
    validators: bool = True
    #: identifier formats this site declares (:mod:`intakeflow.pipeline.recognizers.site_formats`)
    site_formats: SiteFormats = field(default_factory=SiteFormats)
    #: the word, name, address, amount and repeat rules of :mod:`intakeflow.pipeline.decoding`
    decoding: bool = True
    #: redact every token whose PHI probability reaches this (below the strict arg-max
    #: decision: redaction leans to recall); ``None`` takes the model's tuned value, 1.0 redacts
    #: the strict spans only
    redaction_threshold: float | None = None
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    redaction: RedactionConfig = field(default_factory=RedactionConfig)
    fallback: FallbackConfig = field(default_factory=FallbackConfig)


def _check(msg: PipelineInput, max_chars: int) -> str:
    if not isinstance(msg.text, str):
        raise InputError(E.E003_NOT_TEXT, kind=type(msg.text).__name__)
    if not msg.text.strip():
        raise InputError(E.E001_EMPTY_TEXT)
    if len(msg.text) > max_chars:
        raise InputError(E.E002_TEXT_TOO_LONG, length=len(msg.text), limit=max_chars)
    return _SURROGATE.sub("\ufffd", msg.text)


class Pipeline:
    def __init__(self, config: PipelineConfig | None = None, model: OnnxModel | None = None) -> None:
        self.config = config or PipelineConfig()
        self.model = model or OnnxModel(self.config.model_path, self.config.threads, self.config.batch_windows)
        self.fallback: Fallback | None = None
        # process() may run on several threads at once (store.processing); a message's
        # fallback figures are differences of the shared stats, so its calls go one at a time
        self._fallback_lock = threading.Lock()
        if self.config.fallback.enabled:
            # imported only when enabled: an inference-only deployment needs no Anthropic SDK
            from intakeflow.pipeline.fallback.resolver import Fallback

            self.fallback = Fallback(self.config.fallback)
        self.version = self.model.version
        # thresholds tuned on held-out writers travel with the artifact; a deployment's own wins
        self.routing = self.config.routing
        if self.routing.review_threshold is None and self.model.review_threshold is not None:
            self.routing = replace(self.routing, review_threshold=self.model.review_threshold)

    @classmethod
    def from_config(cls, config: PipelineConfig | None = None) -> Pipeline:
        return cls(config)

    def process(self, messages: Sequence[PipelineInput]) -> list[PipelineResult]:
        results = [PipelineResult(id=m.id, pipeline_version=self.version) for m in messages]
        texts: dict[int, str] = {}
        for i, msg in enumerate(messages):
            try:
                texts[i] = _check(msg, self.config.max_chars)
            except IntakeflowError as exc:
                _fail(results[i], exc)
        if not texts:
            return results
        order = list(texts)
        t0 = time.perf_counter()
        outputs = self._predict(order, texts, results)
        model_ms = (time.perf_counter() - t0) * 1000 / len(order)
        for i, out in zip(order, outputs):
            if out is None:
                continue
            res = results[i]
            res.timings_ms["model"] = model_ms
            try:
                self._finish(messages[i], texts[i], out, res)
            except Exception as exc:  # noqa: BLE001 - never fail the batch for one message
                _fail(res, exc if isinstance(exc, IntakeflowError) else IntakeflowError(E.E007_INTERNAL, kind=type(exc).__name__))
        return results

    def _predict(self, order: list[int], texts: dict[int, str], results: list[PipelineResult]) -> list[ModelOutput | None]:
        """The model over the whole batch; if that fails, message by message so that one
        message that breaks the model fails alone."""
        try:
            return list(self.model.predict([texts[i] for i in order]))
        except Exception:  # noqa: BLE001
            outputs: list[ModelOutput | None] = []
            for i in order:
                try:
                    outputs.extend(self.model.predict([texts[i]]))
                except Exception as exc:  # noqa: BLE001
                    _fail(results[i], IntakeflowError(E.E007_INTERNAL, kind=type(exc).__name__))
                    outputs.append(None)
            return outputs

    def _finish(self, msg: PipelineInput, text: str, out: ModelOutput, res: PipelineResult) -> None:
        t = time.perf_counter()
        phi, ins = out.phi, out.insurance
        if self.config.validators:
            site = self.config.site_formats
            v_phi, v_ins = run_recognizers(text, site.recognizers, site.builtins)
            phi = merge(phi, v_phi, "phi")
            ins = merge(ins, v_ins, "insurance")
        # the validators changed none of the model's PHI spans: the redaction widening, which
        # starts from the model's spans, would only decode the same spans again
        model_phi_kept = [s.key() for s in phi] == [s.key() for s in out.phi]
        phi, ins = repair(text, phi), repair(text, ins)
        if self.config.decoding:
            words = self.model.common_words
            phi, ins = decode_phi(text, phi, words), decode_insurance(text, ins, words)
            ins = pair_with_phi(ins, phi)
        res.timings_ms["validate"] = (time.perf_counter() - t) * 1000
        if self.fallback is not None:
            t = time.perf_counter()
            with self._fallback_lock:
                calls_before, usd_before = self.fallback.stats.calls, self.fallback.stats.usd
                new_phi, new_ins = self.fallback.resolve(text, phi, ins)
                res.fallback_calls = self.fallback.stats.calls - calls_before
                res.fallback_usd = self.fallback.stats.usd - usd_before
            phi = _add_free(phi, new_phi)
            ins = _add_free(ins, new_ins)
            res.timings_ms["fallback"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        probs = self.model.intent_probs(out.intent_logits)
        k = int(np.argmax(probs))
        decision = route(self.model.intents[k], probs, self.model.intents, self.routing)
        res.intent = decision.intent
        res.intent_confidence = decision.confidence
        res.needs_review = decision.needs_review
        res.queue = decision.queue
        res.phi, res.insurance = phi, ins
        res.redaction = self._redaction_spans(text, phi, out, model_phi_kept)
        # the checked text, not msg.text: a lone surrogate (a JSON "\ud83d" escape) would make
        # the written result invalid UTF-8; the checked text has U+FFFD there, same offsets
        res.redacted_text = redact(text, res.redaction, self.config.redaction, scope=msg.scope)
        res.insurance_json = normalise(text, ins)
        res.timings_ms["output"] = (time.perf_counter() - t) * 1000

    def _redaction_spans(self, text: str, phi: list[Span], out: ModelOutput, model_phi_kept: bool = False) -> list[Span]:
        """The strict PHI spans, widened by every stretch the model thinks PHI at the
        redaction threshold (spans grown to whole words, repeats tagged alike)."""
        threshold = self.config.redaction_threshold
        if threshold is None:
            threshold = self.model.redaction_threshold
        if threshold >= 1.0:
            return phi
        tails = name_tails(text, phi) if self.config.decoding else phi
        widened = out.phi_at(threshold)
        if model_phi_kept and widened == out.phi:
            return tails  # nothing below the arg-max decision, and the strict spans are the model's
        # the model's own spans are in it too: they cover what narrower validator spans leave out
        extra = repair(text, widened)
        if self.config.decoding:
            extra = decode_phi(text, extra, self.model.common_words, redaction=True)
        return cover(tails, extra)


def _add_free(spans: list[Span], new: list[Span]) -> list[Span]:
    """Add spans that overlap nothing already found (the fallback only fills gaps)."""
    out = list(spans)
    for s in new:
        if not any(s.overlaps(o) for o in out):
            out.append(s)
    return sorted(out)


def _fail(res: PipelineResult, exc: IntakeflowError) -> None:
    res.error_code = exc.code_id
    res.error = str(exc)
    res.needs_review = True
