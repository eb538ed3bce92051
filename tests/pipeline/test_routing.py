from __future__ import annotations

import numpy as np
import pytest

from intakeflow.pipeline.routing import (
    DEFAULT_QUEUES,
    RoutingConfig,
    RoutingError,
    calibrate,
    fit_temperature,
    route,
)
from intakeflow.spec import INTENTS


def probs_for(winner: str, p: float, second: str | None = None, q: float = 0.0) -> np.ndarray:
    out = np.zeros(len(INTENTS))
    out[INTENTS.index(winner)] = p
    if second:
        out[INTENTS.index(second)] = q
    rest = [i for i, x in enumerate(out) if x == 0]
    out[rest] = (1 - out.sum()) / len(rest)
    return out


@pytest.mark.parametrize("intent", INTENTS)
def test_default_queue_per_intent(intent: str) -> None:
    d = route(intent, probs_for(intent, 0.9), INTENTS)
    assert d.queue == DEFAULT_QUEUES[intent] and not d.needs_review and d.reasons == ()


def test_clinical_goes_to_nurse_triage() -> None:
    assert route("clinical_concern", probs_for("clinical_concern", 0.95), INTENTS).queue == "nurse-triage"


def test_low_confidence_needs_review() -> None:
    d = route("billing_inquiry", probs_for("billing_inquiry", 0.45), INTENTS)
    assert d.needs_review and d.reasons == ("low_confidence",)
    assert d.confidence == pytest.approx(0.45)


def test_threshold_configurable() -> None:
    cfg = RoutingConfig(review_threshold=0.4)
    assert not route("billing_inquiry", probs_for("billing_inquiry", 0.45), INTENTS, cfg).needs_review


def test_clinical_low_margin() -> None:
    cfg = RoutingConfig(review_threshold=0.5)
    d = route("clinical_concern", probs_for("clinical_concern", 0.55, "complaint", 0.40), INTENTS, cfg)
    assert d.reasons == ("clinical_low_margin",) and d.needs_review
    assert d.margin == pytest.approx(0.15)
    clear = route("clinical_concern", probs_for("clinical_concern", 0.7, "complaint", 0.25), INTENTS, cfg)
    assert not clear.needs_review


def test_clinical_runner_up_flags_review() -> None:
    p = probs_for("appointment_request", 0.62, "clinical_concern", 0.36)
    d = route("appointment_request", p, INTENTS)
    assert d.reasons == ("clinical_possible",) and d.queue == "scheduling"


def test_custom_queue_and_default_queue() -> None:
    cfg = RoutingConfig(queues={"complaint": "manager"})
    assert route("complaint", probs_for("complaint", 0.9), INTENTS, cfg).queue == "manager"
    assert route("billing_inquiry", probs_for("billing_inquiry", 0.9), INTENTS, cfg).queue == "front-desk"


@pytest.mark.parametrize(
    "kwargs",
    [{"review_threshold": 1.5}, {"clinical_margin": -0.1}, {"queues": {"not_an_intent": "x"}}],
)
def test_bad_config(kwargs: dict[str, object]) -> None:
    with pytest.raises(RoutingError) as err:
        RoutingConfig(**kwargs)  # type: ignore[arg-type]
    assert err.value.code_id == "E050"


@pytest.mark.parametrize(
    ("intent", "probs"),
    [("complaint", [0.5, 0.5]), ("no_such_intent", [1 / 7] * 7), ("complaint", [np.nan] * 7), ("complaint", [-1] * 7)],
)
def test_bad_route_input(intent: str, probs: list[float]) -> None:
    with pytest.raises(RoutingError) as err:
        route(intent, probs, INTENTS)
    assert err.value.code_id == "E080"


def test_calibrate_matches_softmax_and_temperature_flattens() -> None:
    logits = np.array([[2.0, 1.0, 0.0], [1000.0, 0.0, -1000.0]])
    p1 = calibrate(logits, 1.0)
    assert np.allclose(p1.sum(axis=1), 1.0) and np.all(np.isfinite(p1))
    e = np.exp([2.0, 1.0, 0.0])
    assert np.allclose(p1[0], e / e.sum())
    assert calibrate(logits, 3.0)[0].max() < p1[0].max()
    assert calibrate(np.array([1.0, 2.0]), 1.0).shape == (2,)


@pytest.mark.parametrize("t", [0.0, -1.0, float("nan")])
def test_calibrate_rejects_bad_temperature(t: float) -> None:
    with pytest.raises(RoutingError):
        calibrate([1.0, 2.0], t)


@pytest.mark.parametrize("true_t", [0.5, 1.0, 2.5])
def test_fit_temperature_recovers_true_temperature(true_t: float) -> None:
    rng = np.random.default_rng(7)
    base = rng.normal(0, 2.0, size=(4000, 5))
    # labels drawn from softmax(base); the model reports base * true_t, so T = true_t undoes it
    probs = calibrate(base, 1.0)
    labels = np.array([rng.choice(5, p=row) for row in probs])
    fitted = fit_temperature(base * true_t, labels)
    assert fitted == pytest.approx(true_t, rel=0.1)


def test_fit_temperature_skips_ignored_rows() -> None:
    logits = np.array([[3.0, 0.0], [0.0, 3.0], [5.0, -5.0]])
    labels = np.array([0, 1, -100])
    t = fit_temperature(logits, labels)
    assert 0.05 <= t <= 20.0


@pytest.mark.parametrize(
    ("logits", "labels"),
    [(np.zeros((3, 2)), np.array([0, 1])), (np.zeros((2, 2)), np.array([0, 5])), (np.zeros((1, 2)), np.array([-1]))],
)
def test_fit_temperature_bad_input(logits: np.ndarray, labels: np.ndarray) -> None:
    with pytest.raises(RoutingError):
        fit_temperature(logits, labels)
