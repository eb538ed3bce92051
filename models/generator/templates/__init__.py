"""Template sets per intent. Each module has CORE (first person), NOTE (staff notes) and SUBJECTS."""

from __future__ import annotations

from types import ModuleType

from . import appointment, billing, clinical, complaint, existing, new_patient, price, shared

BY_INTENT: dict[str, ModuleType] = {
    "new_patient_inquiry": new_patient,
    "existing_patient_question": existing,
    "appointment_request": appointment,
    "billing_inquiry": billing,
    "clinical_concern": clinical,
    "complaint": complaint,
    "price_shopper": price,
}

__all__ = ["BY_INTENT", "shared"]
