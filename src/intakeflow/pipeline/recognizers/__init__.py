"""Validators / recognizers for structured identifiers (stage 2 of the pipeline).

One recognizer per module, spaCy-style named and versioned: :data:`ALL_RECOGNIZERS`
maps ``NAME`` to an instance and :data:`VERSIONS` maps ``NAME`` to ``VERSION``.
:func:`run_recognizers` runs them all and returns the PHI and insurance answers as
:class:`~intakeflow.spans.Span` lists with ``source="validator"``.

Scores: validated detections (checksum / strict format passed) carry
:data:`~intakeflow.pipeline.recognizers.base.VALIDATED_SCORE`; :mod:`intakeflow.pipeline.merge` reads
``score >= VALIDATED_SCORE`` as "validated".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from intakeflow.pipeline.recognizers.account import AccountRecognizer
from intakeflow.pipeline.recognizers.age import AgeOver89Recognizer
from intakeflow.pipeline.recognizers.auth_number import AuthNumberRecognizer
from intakeflow.pipeline.recognizers.base import VALIDATED_SCORE, Detection, Recognizer
from intakeflow.pipeline.recognizers.biometric import BiometricRecognizer
from intakeflow.pipeline.recognizers.claim import ClaimRecognizer
from intakeflow.pipeline.recognizers.cues import IDENTIFIER_CUES
from intakeflow.pipeline.recognizers.date import DateRecognizer
from intakeflow.pipeline.recognizers.device import DeviceRecognizer
from intakeflow.pipeline.recognizers.email import EmailRecognizer
from intakeflow.pipeline.recognizers.group_number import GroupNumberRecognizer
from intakeflow.pipeline.recognizers.ip import IpRecognizer
from intakeflow.pipeline.recognizers.license import LicenseRecognizer
from intakeflow.pipeline.recognizers.mbi import MbiRecognizer
from intakeflow.pipeline.recognizers.member_id import MemberIdRecognizer
from intakeflow.pipeline.recognizers.mrn import MrnRecognizer
from intakeflow.pipeline.recognizers.npi import NpiRecognizer
from intakeflow.pipeline.recognizers.payment_card import PaymentCardRecognizer
from intakeflow.pipeline.recognizers.phone import PhoneRecognizer
from intakeflow.pipeline.recognizers.photo_ref import PhotoRefRecognizer
from intakeflow.pipeline.recognizers.policy_number import PolicyNumberRecognizer
from intakeflow.pipeline.recognizers.ssn import SsnRecognizer
from intakeflow.pipeline.recognizers.url import UrlRecognizer
from intakeflow.pipeline.recognizers.vehicle import PlateRecognizer
from intakeflow.pipeline.recognizers.vin import VinRecognizer
from intakeflow.spans import Span

_CLASSES: tuple[type[Recognizer], ...] = (
    SsnRecognizer,
    PaymentCardRecognizer,
    NpiRecognizer,
    MbiRecognizer,
    VinRecognizer,
    PlateRecognizer,
    IpRecognizer,
    EmailRecognizer,
    UrlRecognizer,
    PhoneRecognizer,
    DateRecognizer,
    AgeOver89Recognizer,
    MrnRecognizer,
    MemberIdRecognizer,
    GroupNumberRecognizer,
    PolicyNumberRecognizer,
    ClaimRecognizer,
    AuthNumberRecognizer,
    AccountRecognizer,
    LicenseRecognizer,
    DeviceRecognizer,
    BiometricRecognizer,
    PhotoRefRecognizer,
)

ALL_RECOGNIZERS: dict[str, Recognizer] = {cls.NAME: cls() for cls in _CLASSES}
VERSIONS: dict[str, str] = {cls.NAME: cls.VERSION for cls in _CLASSES}

__all__ = [
    "ALL_RECOGNIZERS",
    "IDENTIFIER_CUES",
    "VALIDATED_SCORE",
    "VERSIONS",
    "Detection",
    "Recognizer",
    "benchmark",
    "detect",
    "resolve",
    "run_recognizers",
]


def _priority(d: Detection) -> tuple[bool, int, float]:
    return (d.validated, d.length, d.score)


def resolve(dets: Iterable[Detection]) -> list[Detection]:
    """Greedy non-overlapping selection: validated first, then longer, then higher score."""
    chosen: list[Detection] = []
    for d in sorted(dets, key=_priority, reverse=True):
        if not any(d.start < c.end and c.start < d.end for c in chosen):
            chosen.append(d)
    return sorted(chosen, key=lambda d: (d.start, d.end))


def detect(text: str, recognizers: Iterable[Recognizer] | None = None) -> list[Detection]:
    """Every detection of every recognizer, after NPI-style exclusion masks are applied.

    A mask (both labels ``None``) removes the non-validated detections it overlaps and is
    itself dropped.
    """
    recs = ALL_RECOGNIZERS.values() if recognizers is None else recognizers
    dets = [d for r in recs for d in r.analyze(text)]
    masks = [d for d in dets if d.phi_label is None and d.insurance_label is None]
    if masks:
        dets = [
            d
            for d in dets
            if (d.phi_label is not None or d.insurance_label is not None)
            and (d.validated or not any(d.start < m.end and m.start < d.end for m in masks))
        ]
    return dets


def run_recognizers(
    text: str, extra: Sequence[Recognizer] = (), builtins: Sequence[Recognizer] | None = None
) -> tuple[list[Span], list[Span]]:
    """``(phi_spans, insurance_spans)``, each sorted and non-overlapping, ``source="validator"``;
    ``extra`` recognizers (a site's declared formats) run beside the built-in ones, and
    ``builtins`` replaces those (a site's settings of them: ``SiteFormats.builtins``)."""
    base = ALL_RECOGNIZERS.values() if builtins is None else builtins
    dets = detect(text, [*base, *extra] if extra or builtins is not None else None)
    phi = resolve(d for d in dets if d.phi_label is not None)
    ins = resolve(d for d in dets if d.insurance_label is not None)
    return (
        [Span(d.start, d.end, d.phi_label or "", source="validator", score=d.score) for d in phi],
        [Span(d.start, d.end, d.insurance_label or "", source="validator", score=d.score) for d in ins],
    )


def benchmark(texts: list[str], repeat: int = 1) -> dict[str, float]:
    """Mean and worst milliseconds of :func:`run_recognizers` per message, caches cold.

    The module caches per-text scans (:mod:`.cue_index`, :mod:`intakeflow.pipeline.spoken`), so
    the caches are cleared before each call to time a first sight of the message.
    """
    from intakeflow.pipeline.recognizers.cue_index import find_cues
    from intakeflow.pipeline.spoken import find_spoken_numbers

    times: list[float] = []
    for _ in range(repeat):
        for t in texts:
            find_cues.cache_clear()
            find_spoken_numbers.cache_clear()
            t0 = time.perf_counter()
            run_recognizers(t)
            times.append((time.perf_counter() - t0) * 1000.0)
    return {"mean_ms": sum(times) / max(1, len(times)), "max_ms": max(times, default=0.0), "n": float(len(times))}
