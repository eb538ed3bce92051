"""Intent -> work queue, the review flag, and temperature calibration of intent scores.

``route`` picks the queue of the predicted intent from a configurable table and sets
``needs_review`` when the calibrated confidence is below ``review_threshold``, when a
``clinical_concern`` wins by less than ``clinical_margin`` (a wrong clinical call is the
costly error), or when ``clinical_concern`` is not the winner but still holds at least
``clinical_watch`` of the probability (a missed clinical concern is costlier still).

``calibrate`` and ``fit_temperature`` implement temperature scaling (Guo et al. 2017):
one scalar ``T`` fitted on held-out logits by minimising the negative log-likelihood;
numpy only, so the runtime needs no torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from intakeflow.errors import E, RoutingError
from intakeflow.spec import INTENTS

CLINICAL = "clinical_concern"

DEFAULT_QUEUES: dict[str, str] = {
    "new_patient_inquiry": "new-patients",
    "existing_patient_question": "patient-services",
    "appointment_request": "scheduling",
    "billing_inquiry": "billing",
    "clinical_concern": "nurse-triage",
    "complaint": "patient-relations",
    "price_shopper": "price-estimates",
}


#: the review threshold of artifacts that carry no tuned one
DEFAULT_REVIEW_THRESHOLD = 0.6


@dataclass
class RoutingConfig:
    queues: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_QUEUES))
    #: queue for an intent missing from ``queues``
    default_queue: str = "front-desk"
    #: ``None``: the threshold the model artifact was tuned to (``model.json``), else 0.6
    review_threshold: float | None = None
    clinical_margin: float = 0.2
    clinical_watch: float = 0.35

    def __post_init__(self) -> None:
        for name in ("review_threshold", "clinical_margin", "clinical_watch"):
            value = getattr(self, name)
            if value is None and name == "review_threshold":
                continue
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise RoutingError(E.E050_CONFIG, why=f"{name} must be in [0, 1]")
        unknown = sorted(set(self.queues) - set(INTENTS))
        if unknown:
            raise RoutingError(E.E050_CONFIG, why=f"queues has {len(unknown)} key(s) that are not intents")


@dataclass(frozen=True)
class RoutingDecision:
    intent: str
    queue: str
    confidence: float
    margin: float
    needs_review: bool
    #: short machine-readable reasons for the review flag (``low_confidence`` ...)
    reasons: tuple[str, ...] = ()


def route(intent: str, probs: npt.ArrayLike, intents: Sequence[str], config: RoutingConfig | None = None) -> RoutingDecision:
    """Decide queue and review flag for ``intent`` given the calibrated ``probs`` over ``intents``."""
    cfg = config or RoutingConfig()
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if p.shape[0] != len(intents) or p.shape[0] < 2:
        raise RoutingError(E.E080_ROUTING_BAD_INPUT, why="probabilities do not match the intent list")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise RoutingError(E.E080_ROUTING_BAD_INPUT, why="probabilities are not finite and non-negative")
    if intent not in intents:
        raise RoutingError(E.E080_ROUTING_BAD_INPUT, why="intent is not in the intent list")
    k = list(intents).index(intent)
    confidence = float(p[k])
    runner_up = float(np.max(np.delete(p, k)))
    margin = confidence - runner_up
    reasons: list[str] = []
    if confidence < (DEFAULT_REVIEW_THRESHOLD if cfg.review_threshold is None else cfg.review_threshold):
        reasons.append("low_confidence")
    if intent == CLINICAL and margin < cfg.clinical_margin:
        reasons.append("clinical_low_margin")
    if intent != CLINICAL and CLINICAL in intents and p[list(intents).index(CLINICAL)] >= cfg.clinical_watch:
        reasons.append("clinical_possible")
    queue = cfg.queues.get(intent, cfg.default_queue)
    return RoutingDecision(intent, queue, confidence, margin, bool(reasons), tuple(reasons))


def calibrate(logits: npt.ArrayLike, temperature: float) -> npt.NDArray[np.float64]:
    """Softmax of ``logits / temperature`` over the last axis (1-D or 2-D input)."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise RoutingError(E.E080_ROUTING_BAD_INPUT, why="temperature must be a positive number")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: npt.NDArray[np.float64] = e / e.sum(axis=-1, keepdims=True)
    return out


def _nll(logits: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], temperature: float) -> float:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float(np.mean(log_norm - z[np.arange(len(labels)), labels]))


def fit_temperature(logits: npt.ArrayLike, labels: npt.ArrayLike, lo: float = 0.05, hi: float = 20.0) -> float:
    """The temperature in ``[lo, hi]`` that minimises the NLL of ``labels`` under ``logits``.

    A log-spaced grid finds the basin, golden-section search refines it (NLL is unimodal
    in ``log T`` in practice). Rows with a negative label (ignored examples) are skipped.
    """
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels).astype(np.int64).reshape(-1)
    if x.ndim != 2 or x.shape[0] != y.shape[0]:
        raise RoutingError(E.E080_ROUTING_BAD_INPUT, why="logits must be (n, k) with n labels")
    keep = y >= 0
    x, y = x[keep], y[keep]
    if len(y) == 0 or np.any(y >= x.shape[1]) or not np.all(np.isfinite(x)):
        raise RoutingError(E.E080_ROUTING_BAD_INPUT, why="no usable rows, label out of range or non-finite logits")
    grid = np.linspace(math.log(lo), math.log(hi), 61)
    losses = [_nll(x, y, math.exp(g)) for g in grid]
    i = int(np.argmin(losses))
    a, b = grid[max(0, i - 1)], grid[min(len(grid) - 1, i + 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if _nll(x, y, math.exp(c)) < _nll(x, y, math.exp(d)):
            b = d
        else:
            a = c
    return float(math.exp((a + b) / 2))
