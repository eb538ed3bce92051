"""Identifier formats a site declares: its own MRN, member ID and account numbers.

Every hospital numbers things its own way (``SMH-004471-K``, ``ZQ 88 1207 3``); no model
trained elsewhere has seen them. A deployment declares them in a JSON file, one entry per
format, and the pipeline finds them like its built-in recognizers (validated: the site
vouches for the format, so a match wins over the model's span and type)::

    {"formats": [
      {"name": "smh-mrn", "phi": "MRN", "pattern": "SMH-\\\\d{6}-[A-Z]",
       "cues": ["MRN", "chart", "medical record"]},
      {"name": "acme-member", "phi": "HEALTH_PLAN", "insurance": "MEMBER_ID",
       "pattern": "ZQ ?\\\\d{2} ?\\\\d{4} ?\\\\d", "cues": ["member", "subscriber"], "cue_required": false}
    ]}

``cues`` are words that precede the value within ``window`` characters; with
``cue_required`` (the default) a match without one is left to the model, so a format that
also matches ordinary numbers stays safe.

The same file tunes the built-in recognizers (Presidio style: each has named ``PATTERNS``
and ``CONTEXT`` cue phrases, listed by ``intakeflow recognizers``), under ``recognizers``,
keyed by recognizer name::

    {"formats": [],
     "recognizers": {
       "member_id": {"context": ["member id", "plan no", "subscriber id"]},
       "ssn": {"patterns": {"bare": "(?<![\\d-])\\d{9}(?![\\d-])"}},
       "plate": {"enabled": false}
     }}

``context`` replaces the recognizer's cue phrases, ``patterns`` replaces patterns by name
(checksums and validation still apply to what they propose), ``enabled: false`` turns the
recognizer off. Load with :func:`load_site_formats`
(``intakeflow predict --site-formats FILE``, ``INTAKEFLOW_SITE_FORMATS``, or the operators'
``site_formats`` parameter).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from intakeflow.errors import E, SiteFormatError
from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS
from intakeflow.pipeline.recognizers.base import Detection, Recognizer
from intakeflow.spec import INSURANCE_PHI_TYPE, INSURANCE_TYPES, PHI_TYPES

ENV_VAR = "INTAKEFLOW_SITE_FORMATS"


@dataclass(frozen=True)
class SiteFormat:
    """One declared identifier format."""

    name: str
    pattern: str
    phi: str | None = None
    insurance: str | None = None
    cues: tuple[str, ...] = ()
    cue_required: bool = True
    window: int = 40

    def __post_init__(self) -> None:
        if self.phi is not None and self.phi not in PHI_TYPES:
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r}: phi is not a PHI type")
        if self.insurance is not None and self.insurance not in INSURANCE_TYPES:
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r}: insurance is not an insurance type")
        if self.phi is None and self.insurance is None:
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r} names no label")
        paired = INSURANCE_PHI_TYPE.get(self.insurance or "")
        if paired and self.phi != paired:
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r}: {self.insurance} is PHI {paired} too")
        if self.cue_required and not self.cues:
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r} requires a cue but lists none")
        try:
            rx = re.compile(self.pattern)
        except re.error:
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r}: pattern is not a valid regex") from None
        if rx.match(""):
            raise SiteFormatError(E.E050_CONFIG, why=f"site format {self.name!r}: pattern matches the empty string")


class SiteFormatRecognizer(Recognizer):
    """Finds the values of one :class:`SiteFormat`."""

    NAME: ClassVar[str] = "site_format"
    VERSION: ClassVar[str] = "1.0.0"

    def __init__(self, fmt: SiteFormat) -> None:
        super().__init__()
        self.format = fmt
        # whole tokens only: a format must not fire inside a longer identifier
        self.pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{fmt.pattern})(?![A-Za-z0-9])")
        self._cue = re.compile(r"\b(?:" + "|".join(re.escape(c) for c in fmt.cues) + r")\b", re.IGNORECASE) if fmt.cues else None

    def analyze(self, text: str) -> list[Detection]:
        out = []
        for m in self.pattern.finditer(text):
            if self.format.cue_required:
                before = text[max(0, m.start() - self.format.window) : m.start()]
                if self._cue is None or not self._cue.search(before):
                    continue
            out.append(self._det(m.start(), m.end(), self.format.phi, self.format.insurance, validated=True))
        return out


@dataclass(frozen=True)
class RecognizerOverride:
    """A deployment's settings for one built-in recognizer."""

    name: str
    enabled: bool = True
    context: tuple[str, ...] | None = None
    patterns: tuple[tuple[str, str], ...] = ()

    def build(self) -> Recognizer | None:
        """The configured recognizer, or None where it is turned off."""
        if not self.enabled:
            return None
        cls = type(ALL_RECOGNIZERS[self.name])
        try:
            return cls(patterns=dict(self.patterns), context=self.context)
        except (ValueError, re.error) as exc:
            why = "a pattern is not a valid regex" if isinstance(exc, re.error) else "unknown pattern name"
            raise SiteFormatError(E.E050_CONFIG, why=f"recognizer {self.name!r}: {why}") from None

    @classmethod
    def from_json(cls, name: str, obj: Any) -> RecognizerOverride:
        if name not in ALL_RECOGNIZERS:
            raise SiteFormatError(E.E050_CONFIG, why=f"no built-in recognizer named {name!r}")
        if not isinstance(obj, dict) or set(obj) - {"enabled", "context", "patterns"}:
            raise SiteFormatError(E.E050_CONFIG, why=f"recognizer {name!r}: settings must be enabled, context, patterns")
        context = obj.get("context")
        if context is not None and (not isinstance(context, list) or not all(isinstance(c, str) for c in context)):
            raise SiteFormatError(E.E050_CONFIG, why=f"recognizer {name!r}: context must be a list of phrases")
        patterns = obj.get("patterns", {})
        if not isinstance(patterns, dict) or not all(isinstance(v, str) for v in patterns.values()):
            raise SiteFormatError(E.E050_CONFIG, why=f"recognizer {name!r}: patterns must map names to regexes")
        out = cls(name, bool(obj.get("enabled", True)), None if context is None else tuple(context), tuple(patterns.items()))
        out.build()  # a bad regex or pattern name fails when the file loads, not on the first message
        return out


@dataclass(frozen=True)
class SiteFormats:
    """The formats of one deployment, ready to run beside the built-in recognizers, and
    its settings of the built-in recognizers."""

    formats: tuple[SiteFormat, ...] = ()
    overrides: tuple[RecognizerOverride, ...] = ()
    recognizers: tuple[SiteFormatRecognizer, ...] = field(init=False, default=())
    #: the built-in recognizers as configured; None where nothing is overridden
    builtins: tuple[Recognizer, ...] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "recognizers", tuple(SiteFormatRecognizer(f) for f in self.formats))
        if self.overrides:
            by_name = {o.name: o for o in self.overrides}
            built = [by_name[n].build() if n in by_name else r for n, r in ALL_RECOGNIZERS.items()]
            object.__setattr__(self, "builtins", tuple(r for r in built if r is not None))

    @classmethod
    def from_json(cls, obj: Any) -> SiteFormats:
        if not isinstance(obj, dict) or not isinstance(obj.get("formats", []), list) or not (
            "formats" in obj or "recognizers" in obj
        ):
            raise SiteFormatError(E.E050_CONFIG, why="site formats must be an object with a 'formats' list")
        if set(obj) - {"formats", "recognizers"}:
            raise SiteFormatError(E.E050_CONFIG, why="site formats file has keys other than formats and recognizers")
        settings = obj.get("recognizers", {})
        if not isinstance(settings, dict):
            raise SiteFormatError(E.E050_CONFIG, why="'recognizers' must map recognizer names to settings")
        overrides = tuple(RecognizerOverride.from_json(str(k), v) for k, v in settings.items())
        fmts = []
        for i, f in enumerate(obj.get("formats", [])):
            if not isinstance(f, dict) or not isinstance(f.get("pattern"), str):
                raise SiteFormatError(E.E050_CONFIG, why=f"site format {i} has no pattern")
            known = {"name", "pattern", "phi", "insurance", "cues", "cue_required", "window"}
            if set(f) - known:
                raise SiteFormatError(E.E050_CONFIG, why=f"site format {i} has unknown keys")
            fmts.append(
                SiteFormat(
                    name=str(f.get("name", f"format-{i}")),
                    pattern=f["pattern"],
                    phi=f.get("phi"),
                    insurance=f.get("insurance"),
                    cues=tuple(str(c) for c in f.get("cues", ())),
                    cue_required=bool(f.get("cue_required", True)),
                    window=int(f.get("window", 40)),
                )
            )
        return cls(tuple(fmts), overrides)


def load_site_formats(path: str | Path | None = None) -> SiteFormats:
    """Formats from ``path``, else from the file ``INTAKEFLOW_SITE_FORMATS`` names, else none."""
    where = path or os.environ.get(ENV_VAR)
    if not where:
        return SiteFormats()
    try:
        obj = json.loads(Path(where).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SiteFormatError(E.E050_CONFIG, why=f"site formats file unreadable ({type(exc).__name__})") from None
    return SiteFormats.from_json(obj)


def site_recognizers(formats: SiteFormats | Sequence[SiteFormat]) -> tuple[SiteFormatRecognizer, ...]:
    if isinstance(formats, SiteFormats):
        return formats.recognizers
    return SiteFormats(tuple(formats)).recognizers
