"""The watchdog's settings, in one JSON document: thresholds, per-source overrides and the
notifiers that carry alerts.

Where it lives: the Airflow Variable ``intakeflow_alerts`` (set in the UI, the metadata
database, a secrets backend, or the environment as ``AIRFLOW_VAR_INTAKEFLOW_ALERTS``). The
watchdog DAG reads the Variable; ``intakeflow health`` reads the same document from
``--config FILE`` or ``$AIRFLOW_VAR_INTAKEFLOW_ALERTS``, so a shell check uses the
thresholds the DAG uses without Airflow. Every key is optional; what is left out takes its
default below (``intakeflow health --print-config`` prints the document in force).

A threshold set to ``null`` turns its check off (everywhere, or for one source under
``sources``). Unknown keys are refused (E050): a misspelt threshold must not silently fall
back to its default in an alerting path.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from intakeflow.errors import E, IntakeflowError

#: the Airflow Variable holding the document, and its environment form
VARIABLE = "intakeflow_alerts"
ENV = "AIRFLOW_VAR_INTAKEFLOW_ALERTS"
#: notifier types built in by name (``intakeflow.provider.notifications``); ``class`` takes any
NOTIFIER_TYPES = ("smtp", "slack", "slack_webhook", "log", "class")


@dataclass(frozen=True)
class Thresholds:
    """The figures a check compares against, for one source (``None``: that check is off).

    - ``backlog_age_s``: the oldest queued message of a source is older than this and no
      message of the source was claimed or processed for as long: nothing is running.
    - ``quarantine_share`` of the inputs received in the last ``quarantine_window_s``, once
      at least ``quarantine_min_inputs`` arrived (a few inputs make no share).
    - ``feed_silent_s``: no input from the source for this long (sources of a listener
      heartbeat, and those in ``feed_sources``).
    - ``listener_down_s``: an MLLP listener's last heartbeat is older than this.
    """

    backlog_age_s: float | None = 600.0
    quarantine_share: float | None = 0.2
    quarantine_window_s: float = 3600.0
    quarantine_min_inputs: int = 20
    feed_silent_s: float | None = 900.0
    listener_down_s: float | None = 180.0


#: the keys a ``sources`` entry may override
SOURCE_KEYS = tuple(f.name for f in fields(Thresholds))


@dataclass(frozen=True)
class AlertConfig:
    """The whole document. ``sources`` overrides thresholds per source name; ``feed_sources``
    adds sources to the silence check besides those with a listener heartbeat; the
    write-back check fires when at least ``writeback_min_failed`` messages' last write-back
    failed in the last ``writeback_window_s`` (``writeback_min_failed`` null: off); a firing
    alert resolves once its condition has been clear for ``resolve_after_s`` (no flapping
    every minute). ``notifiers`` are plain dicts (``type`` and the notifier's own
    arguments), built by the provider; ``page_url`` (optional) is linked from each alert."""

    defaults: Thresholds = field(default_factory=Thresholds)
    sources: Mapping[str, Thresholds] = field(default_factory=dict)
    feed_sources: tuple[str, ...] = ()
    writeback_window_s: float = 900.0
    writeback_min_failed: int | None = 1
    resolve_after_s: float = 120.0
    notifiers: tuple[Mapping[str, Any], ...] = ()
    page_url: str | None = None

    def for_source(self, source: str) -> Thresholds:
        return self.sources.get(source, self.defaults)

    def notifier_names(self) -> list[str]:
        return [notifier_name(spec, i, self.notifiers) for i, spec in enumerate(self.notifiers)]

    def thresholds_json(self) -> dict[str, Any]:
        """The thresholds in force (no notifier settings: they may name people), as stored
        with each evaluation for the monitoring page."""
        return {
            **_thresholds_json(self.defaults),
            "sources": {name: _thresholds_json(t) for name, t in sorted(self.sources.items())},
            "feed_sources": list(self.feed_sources),
            "writeback_window_s": self.writeback_window_s,
            "writeback_min_failed": self.writeback_min_failed,
            "resolve_after_s": self.resolve_after_s,
        }

    def as_json(self) -> dict[str, Any]:
        """The document in force, every default filled in (``--print-config``)."""
        out = self.thresholds_json()
        out["sources"] = {name: {k: v for k, v in _thresholds_json(t).items() if v != getattr(self.defaults, k)}
                          for name, t in sorted(self.sources.items())}
        out["notifiers"] = [dict(n) for n in self.notifiers]
        out["page_url"] = self.page_url
        return out


def _thresholds_json(t: Thresholds) -> dict[str, Any]:
    return {f.name: getattr(t, f.name) for f in fields(Thresholds)}


def notifier_name(spec: Mapping[str, Any], index: int, all_specs: tuple[Mapping[str, Any], ...] = ()) -> str:
    """The name alert state records per notifier: its ``name``, else its type (``smtp``),
    numbered when several share a type (``smtp-2``). Give names when notifiers change
    often: a renamed notifier is told the alerts firing now again."""
    if spec.get("name"):
        return str(spec["name"])
    kind = str(spec.get("type"))
    same = [i for i, s in enumerate(all_specs) if not s.get("name") and str(s.get("type")) == kind]
    return kind if len(same) <= 1 else f"{kind}-{same.index(index) + 1}"


# -- reading -----------------------------------------------------------------------------------


def _bad(why: str) -> IntakeflowError:
    return IntakeflowError(E.E050_CONFIG, why=f"intakeflow_alerts: {why}")


def _number(key: str, value: Any, *, nullable: bool, integer: bool = False) -> Any:
    if value is None:
        if nullable:
            return None
        raise _bad(f"{key} may not be null")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise _bad(f"{key} must be a number of at least 0")
    if integer:
        if int(value) != value:
            raise _bad(f"{key} must be a whole number")
        return int(value)
    return int(value) if float(value).is_integer() else float(value)


def _thresholds(doc: Mapping[str, Any], base: Thresholds, where: str) -> Thresholds:
    changes: dict[str, Any] = {}
    for key in SOURCE_KEYS:
        if key not in doc:
            continue
        name = f"{where}{key}"
        if key == "quarantine_share":
            value = _number(name, doc[key], nullable=True)
            if value is not None and not 0 < value <= 1:
                raise _bad(f"{name} must be a share between 0 and 1 (0.2 is 20 %)")
        elif key == "quarantine_min_inputs":
            value = _number(name, doc[key], nullable=False, integer=True)
        elif key == "quarantine_window_s":
            value = _number(name, doc[key], nullable=False)
            if value <= 0:
                raise _bad(f"{name} must be above 0")
        else:
            value = _number(name, doc[key], nullable=True)
        changes[key] = value
    return replace(base, **changes)


_TOP_KEYS = frozenset({*SOURCE_KEYS, "sources", "feed_sources", "writeback_window_s", "writeback_min_failed",
                       "resolve_after_s", "notifiers", "page_url"})


def parse_config(doc: Mapping[str, Any] | None) -> AlertConfig:
    """An :class:`AlertConfig` from the JSON document (``None`` or ``{}``: every default)."""
    doc = dict(doc or {})
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise _bad(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_TOP_KEYS))})")
    defaults = _thresholds(doc, Thresholds(), "")
    sources: dict[str, Thresholds] = {}
    raw_sources = doc.get("sources") or {}
    if not isinstance(raw_sources, Mapping):
        raise _bad("sources must be an object of source name -> thresholds")
    for name, entry in raw_sources.items():
        if not isinstance(entry, Mapping):
            raise _bad(f"sources.{name} must be an object")
        extra = sorted(set(entry) - set(SOURCE_KEYS))
        if extra:
            raise _bad(f"unknown key {extra[0]!r} in sources.{name} (known: {', '.join(SOURCE_KEYS)})")
        sources[str(name)] = _thresholds(entry, defaults, f"sources.{name}.")
    feed = doc.get("feed_sources") or []
    if not isinstance(feed, list) or not all(isinstance(s, str) and s for s in feed):
        raise _bad("feed_sources must be a list of source names")
    notifiers = doc.get("notifiers") or []
    if not isinstance(notifiers, list) or not all(isinstance(n, Mapping) for n in notifiers):
        raise _bad("notifiers must be a list of objects")
    for i, n in enumerate(notifiers):
        if n.get("type") not in NOTIFIER_TYPES:
            raise _bad(f"notifiers[{i}].type must be one of {', '.join(NOTIFIER_TYPES)}")
        if n.get("type") == "class" and not isinstance(n.get("class"), str):
            raise _bad(f"notifiers[{i}] of type class needs 'class': the notifier's dotted import path")
        if n.get("type") == "smtp" and not n.get("to"):
            raise _bad(f"notifiers[{i}] of type smtp needs 'to': one address or a list")
    specs = tuple(dict(n) for n in notifiers)
    names = [notifier_name(s, i, specs) for i, s in enumerate(specs)]
    if len(set(names)) != len(names):
        raise _bad("two notifiers have the same name: give each a distinct 'name'")
    page_url = doc.get("page_url")
    if page_url is not None and not isinstance(page_url, str):
        raise _bad("page_url must be a string")
    return AlertConfig(
        defaults=defaults,
        sources=sources,
        feed_sources=tuple(feed),
        writeback_window_s=_number("writeback_window_s", doc.get("writeback_window_s", 900.0), nullable=False),
        writeback_min_failed=_number("writeback_min_failed", doc.get("writeback_min_failed", 1), nullable=True,
                                     integer=True),
        resolve_after_s=_number("resolve_after_s", doc.get("resolve_after_s", 120.0), nullable=False),
        notifiers=specs,
        page_url=page_url or None,
    )


def loads(text: str | None) -> AlertConfig:
    """Parse the JSON text of the document (empty: every default)."""
    if text is None or not text.strip():
        return parse_config(None)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad(f"not JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(doc, Mapping):
        raise _bad("the document must be a JSON object")
    return parse_config(doc)


def load_config(path: str | Path | None = None, environ: Mapping[str, str] | None = None) -> AlertConfig:
    """Outside Airflow (the CLI): the document in ``path``, else ``$AIRFLOW_VAR_INTAKEFLOW_ALERTS``,
    else every default."""
    if path is not None:
        try:
            return loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise _bad(f"file could not be read ({type(exc).__name__})") from None
    env = os.environ if environ is None else environ
    return loads(env.get(ENV))
