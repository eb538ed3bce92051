"""Build the normalised insurance JSON of spec §3 from insurance spans.

Shape (every key always present; lists keep first-mention order, repeats dropped)::

    {"plans": [{"carrier": "Aetna", "plan_type": "PPO", "member_id": "W123",
                "group_number": None, "policy_number": None,
                "subscriber_name": "Jo Roe", "relationship": "spouse"}, ...],
     "claims": ["C-1"], "auth_numbers": ["PA9"],
     "copays": [{"value": 35.0, "currency": "USD"}], "deductibles": [...], "billed_amounts": [...]}

Plans are grouped by position: a field belongs to the nearest carrier mention before it
(fields before the first carrier go to the first plan); a carrier mention starts a new plan
unless the same canonical carrier already has one. A field that would overwrite a different
value in its plan starts a new plan ("primary member id ..., secondary member id ...").

Values: CARRIER -> :func:`intakeflow.pipeline.payers.canonical_payer` or the span text; PLAN_TYPE ->
a code of ``spec.PLAN_TYPE_CODES`` or the span text; member, group and policy numbers with
whitespace removed; claim and auth numbers as written; amounts -> ``value`` a float rounded
to cents (JSON-safe; ``Decimal`` would break ``json.dumps`` in the sinks), ``currency``
``USD``; an amount that cannot be read keeps ``value: None`` and its ``raw`` text.

RELATIONSHIP -> FHIR subscriber-relationship code, the *patient's* relationship to the
subscriber. Spouse words -> ``spouse``; partner, fiancé, common-law -> ``common`` (FHIR:
"common law spouse or equivalent"); dependent -> ``child``; self/policy holder -> ``self``;
injured party -> ``injured``; other relatives and guardians -> ``other``. Parent and child
words depend on whom they name: ``my son is on my plan`` names the patient -> ``child``,
but ``my mom's plan`` / ``subscriber: <name> (father)`` / ``my dad is the policy holder``
name the subscriber -> the patient is the ``child`` (and ``my daughter's plan`` -> ``parent``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from intakeflow.errors import E, InputError
from intakeflow.pipeline.payers import canonical_payer
from intakeflow.pipeline.spoken import spoken_amount
from intakeflow.spans import Span
from intakeflow.spec import INSURANCE_TYPES

PLAN_FIELDS: dict[str, str] = {
    "CARRIER": "carrier",
    "PLAN_TYPE": "plan_type",
    "MEMBER_ID": "member_id",
    "GROUP_NUMBER": "group_number",
    "POLICY_NUMBER": "policy_number",
    "SUBSCRIBER_NAME": "subscriber_name",
    "RELATIONSHIP": "relationship",
}
LIST_FIELDS: dict[str, str] = {
    "CLAIM_ID": "claims",
    "AUTH_NUMBER": "auth_numbers",
    "COPAY": "copays",
    "DEDUCTIBLE": "deductibles",
    "BILLED_AMOUNT": "billed_amounts",
}
_AMOUNTS = frozenset({"COPAY", "DEDUCTIBLE", "BILLED_AMOUNT"})

PLAN_TYPE_ALIASES: dict[str, tuple[str, ...]] = {
    "PPO": ("ppo", "preferred provider", "preferred provider organization"),
    "HMO": ("hmo", "health maintenance organization"),
    "EPO": ("epo", "exclusive provider", "exclusive provider organization"),
    "POS": ("pos", "point of service"),
    "HDHP": ("hdhp", "high deductible", "high deductible health", "hsa", "hsa eligible", "qhdhp"),
    "MEDICARE ADVANTAGE": ("medicare advantage", "ma", "mapd", "ma pd", "part c", "medicare part c"),
    "MEDIGAP": ("medigap", "medicare supplement", "medicare supplemental", "supplement", "supplemental",
                "med supp", "medsupp"),
    "MEDICAID": ("medicaid", "medicaid managed care"),
    "MEDICARE": ("medicare", "original medicare", "traditional medicare"),
}  # fmt: skip

_SELF = {"self", "me", "myself", "i", "mine", "own", "policyholder", "policy holder", "subscriber", "insured",
         "primary", "same", "the insured", "cardholder", "card holder"}  # fmt: skip
_SPOUSE = {"husband", "wife", "spouse", "hubby", "hubbie", "wifey", "spousal", "married"}
_COMMON = {"partner", "domestic partner", "life partner", "common law", "common law spouse", "common law wife",
           "common law husband", "boyfriend", "girlfriend", "fiance", "fiancé", "fiancee", "fiancée",
           "significant other"}  # fmt: skip
_PARENT = {"mom", "mother", "mum", "mommy", "mama", "ma", "dad", "father", "daddy", "papa", "pa", "parent",
           "parents", "stepmom", "stepmother", "step mother", "stepdad", "stepfather", "step father",
           "step mom", "step dad"}  # fmt: skip
_CHILD = {"son", "daughter", "child", "kid", "kids", "children", "stepson", "stepdaughter", "stepchild",
          "step son", "step daughter", "step child", "baby", "dependent", "dependant", "dependent child", "minor"}  # fmt: skip
_INJURED = {"injured", "injured party", "injured person", "claimant"}
_DETERMINERS = re.compile(r"^(?:my|his|her|their|our|the|a|an)\s+")

# cues that the relationship word names the subscriber, not the patient
_POSSESSIVE_AFTER = re.compile(r"(?:['’]s?)(?!\w)")
_SUBSCRIBER_AFTER = re.compile(
    r"[\s,]+(?:is|was|'s|’s)\s+(?:the\s+)?(?:primary\s+)?(?:subscriber|policy\s*holder|insured|card\s*holder|member|sponsor)",
    re.I,
)
_VIA_BEFORE = re.compile(r"(?:through|thru|under|via|from|by)\s+(?:my|his|her|their|our)\s+$", re.I)
_RELATIONSHIP_TO = re.compile(r"relationship\s+to\s+(?:the\s+)?(?:subscriber|policy\s*holder|insured)\W*$", re.I)
_SUBSCRIBER_BEFORE = re.compile(r"(?:subscriber|policy\s*holder|policyholder|insured|sponsor|guarantor)\b[^.\n]{0,40}$", re.I)


def _spaced(text: str) -> str:
    lowered = text.casefold().replace("-", " ").replace("’", "'")
    lowered = re.sub(r"'s\b|s'$", lambda m: "s" if m.group(0) == "s'" else "", lowered)
    return re.sub(r"\s+", " ", re.sub(r"[^\w' ]", " ", lowered)).strip(" '")


_PLAN_LOOKUP = {alias: code for code, aliases in PLAN_TYPE_ALIASES.items() for alias in (code.lower(), *aliases)}


def plan_type_code(text: str) -> str:
    spaced = _spaced(text)
    for candidate in (spaced, re.sub(r"\s+(?:plan|product|network|option)$", "", spaced)):
        if candidate in _PLAN_LOOKUP:
            return _PLAN_LOOKUP[candidate]
    return text


def _names_subscriber(text: str, start: int, end: int) -> bool:
    after, before = text[end : end + 40], text[max(0, start - 60) : start]
    if _POSSESSIVE_AFTER.match(after) or _SUBSCRIBER_AFTER.match(after) or _VIA_BEFORE.search(before):
        return True
    if _RELATIONSHIP_TO.search(before):
        return False
    return bool(_SUBSCRIBER_BEFORE.search(before))


def relationship_code(text: str, start: int, end: int) -> str:
    """FHIR subscriber-relationship code for the RELATIONSHIP span ``text[start:end]``."""
    word = _DETERMINERS.sub("", _spaced(text[start:end]))
    for words, code in ((_SELF, "self"), (_SPOUSE, "spouse"), (_COMMON, "common"), (_INJURED, "injured")):
        if word in words:
            return code
    if word in ("dependent", "dependant", "dependent child"):
        return "child"
    if word in _PARENT:
        return "child" if _names_subscriber(text, start, end) else "parent"
    if word in _CHILD:
        return "parent" if _names_subscriber(text, start, end) else "child"
    return "other"


def amount(text: str) -> dict[str, Any]:
    value: Decimal | None = spoken_amount(text)
    if value is None or value < 0:
        return {"value": None, "currency": None, "raw": text}
    return {"value": float(value.quantize(Decimal("0.01"))), "currency": "USD"}


def _value(text: str, span: Span) -> Any:
    piece = text[span.start : span.end]
    if span.label == "CARRIER":
        return canonical_payer(piece) or piece
    if span.label == "PLAN_TYPE":
        return plan_type_code(piece)
    if span.label in ("MEMBER_ID", "GROUP_NUMBER", "POLICY_NUMBER"):
        return re.sub(r"\s+", "", piece)
    if span.label == "RELATIONSHIP":
        return relationship_code(text, span.start, span.end)
    if span.label in _AMOUNTS:
        return amount(piece)
    return piece


@dataclass
class _Plan:
    values: dict[str, Any] = field(default_factory=dict)
    filled_at: dict[str, int] = field(default_factory=dict)
    mentioned_at: int = -1

    def to_json(self) -> dict[str, Any]:
        return {key: self.values.get(key) for key in PLAN_FIELDS.values()}


def _checked(text: str, spans: list[Span]) -> list[Span]:
    for i, s in enumerate(spans):
        if not (0 <= s.start < s.end <= len(text)):
            raise InputError(E.E075_INSURANCE_BAD_SPAN, index=i, why="out of range")
        if s.label not in INSURANCE_TYPES:
            raise InputError(E.E075_INSURANCE_BAD_SPAN, index=i, why="not an insurance label")
    return sorted(spans, key=lambda s: (s.start, s.end))


def _group_plans(text: str, spans: list[Span]) -> list[_Plan]:
    plans: list[_Plan] = []
    current: _Plan | None = None
    for s in spans:
        if s.label not in PLAN_FIELDS:
            continue
        key, value = PLAN_FIELDS[s.label], _value(text, s)
        if s.label == "CARRIER":
            same = next((p for p in plans if p.values.get("carrier") == value), None)
            if same is not None:
                current = same
            elif current is None or "carrier" in current.values:
                current = _Plan()
                plans.append(current)
            current.values["carrier"] = value
            current.mentioned_at = s.start
            continue
        if current is None:
            current = _Plan()
            plans.append(current)
        old = current.values.get(key)
        if old is not None and old != value:
            # the carrier named again after the slot was filled: same payer, another plan
            carrier = current.values.get("carrier") if current.mentioned_at > current.filled_at[key] else None
            current = _Plan(values={"carrier": carrier} if carrier else {}, mentioned_at=current.mentioned_at)
            plans.append(current)
        if key not in current.values:
            current.values[key] = value
            current.filled_at[key] = s.start
    return plans


def normalise(text: str, spans: list[Span]) -> dict[str, Any]:
    """The insurance JSON for ``text`` from its insurance spans (see the module docstring).

    Raises :class:`~intakeflow.errors.InputError` ``E075`` for a span outside the text or
    with a non-insurance label.
    """
    ordered = _checked(text, spans)
    out: dict[str, Any] = {"plans": [p.to_json() for p in _group_plans(text, ordered)]}
    for label, key in LIST_FIELDS.items():
        values: list[Any] = []
        for s in ordered:
            if s.label == label:
                v = _value(text, s)
                if v not in values:
                    values.append(v)
        out[key] = values
    return out
