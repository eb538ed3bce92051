"""``surrogate``: consistent realistic fakes.

The fake for a value is drawn from ``HMAC(secret, scope | label | normalised value)``, so
one value always gets the same fake within a scope (a patient) and different scopes get
unrelated fakes. Names are faked word by word (``Jane Doe`` and a later ``Jane`` share the
fake first name; a single word after ``Dr.``/``Mrs.`` is treated as a surname). Dates use
the scope's ``dateshift`` offset so intervals survive; unparseable dates become ``[DATE]``.
Ages over 89 become ``90+`` (the Safe Harbor aggregate). Different values can share a fake
(pools are finite): surrogates are for realistic display and test data, not for linkage.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from intakeflow.pipeline.anonymizers import fakes
from intakeflow.pipeline.anonymizers.base import Operator, SpanContext
from intakeflow.pipeline.anonymizers.dateshift import shift_date
from intakeflow.pipeline.anonymizers.keyed import KeyedRng, normalise_value
from intakeflow.pipeline.anonymizers.tag import tag_for

_HONORIFIC = re.compile(r"(?:\b(?:dr|mr|mrs|ms|mx|miss|prof|doctor|nurse)\.?\s*)$", re.I)
_MAX_TRIES = 5

Faker = Callable[[str, KeyedRng], str]
_BY_LABEL: dict[str, Faker] = {
    "PHONE": fakes.fake_phone,
    "FAX": fakes.fake_phone,
    "EMAIL": fakes.fake_email,
    "URL": fakes.fake_url,
    "IP": fakes.fake_ip,
    "SSN": fakes.fake_ssn,
    "PHOTO_REF": fakes.fake_photo_ref,
    "LOC": fakes.fake_location,
}


class SurrogateOperator(Operator):
    NAME = "surrogate"
    VERSION = "1.0.0"
    NEEDS_SECRET = True

    def apply(self, ctx: SpanContext) -> str:
        secret = ctx.config.require_secret()
        value, label = ctx.value, ctx.label
        if label == "DATE":
            shifted = shift_date(value, secret, ctx.scope, ctx.config.date_shift_days)
            return tag_for(label) if shifted is None else shifted
        if label == "AGE_OVER_89":
            return "90+"
        if label in ("NAME", "SUBSCRIBER_NAME"):
            return self._name(ctx, secret)
        faker = _BY_LABEL.get(label, fakes.shape)
        rng = KeyedRng(secret, "surrogate", ctx.scope, label, normalise_value(label, value))
        fake = value
        for _ in range(_MAX_TRIES):  # the stream continues, so each try differs
            fake = faker(value, rng)
            if normalise_value(label, fake) != normalise_value(label, value):
                break
        return fake

    def _name(self, ctx: SpanContext, secret: bytes) -> str:
        tokens = ctx.value.split()
        lone_surname = len(tokens) == 1 and _HONORIFIC.search(ctx.text[max(0, ctx.start - 12) : ctx.start])
        out = []
        for i, token in enumerate(tokens):
            surname = bool(lone_surname) or (len(tokens) > 1 and i == len(tokens) - 1)
            role = "last" if surname else "first"
            rng = KeyedRng(secret, "surrogate", ctx.scope, "NAME", role, normalise_value("NAME", token))
            fake = token
            for _ in range(_MAX_TRIES):
                fake = fakes.fake_name_token(token, rng, surname)
                if fake.casefold() != token.casefold():
                    break
            out.append(fake)
        # keep the original whitespace between words
        gaps = re.findall(r"\s+", ctx.value.strip())
        return "".join(w + (gaps[i] if i < len(gaps) else "") for i, w in enumerate(out))
