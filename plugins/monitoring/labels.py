"""Human labels and units for the figures a DAG run records (``run_stats.counts``, written by
``RecordRunOperator`` from its tasks' XCom): the keys there are metric names such as
``fallback_microusd``, chosen so that sums stay exact integers, not words for a reader.

``figure_rows`` turns one stage's counts into ``(label, shown value, unit)`` rows: known keys
get their label and unit (micro-dollars become dollars), unknown keys a readable form of
their name, so a figure added to an operator later still shows up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: stages in the order a run goes through them, with a heading each
STAGE_TITLES: dict[str, str] = {
    "stage": "Staging (read from the source)",
    "process": "Processing (the pipeline)",
    "write_back": "Write-back to FHIR",
}


@dataclass(frozen=True)
class Figure:
    label: str
    unit: str = ""
    #: the stored value is multiplied by this before it is shown
    scale: float = 1.0
    decimals: int = 0


#: per stage; ``"*"`` holds labels every stage shares. Labels name what is counted; a unit
#: is given only for a measure that is not a count (money, time).
FIGURES: dict[str, dict[str, Figure]] = {
    "*": {
        "quarantined": Figure("Messages quarantined"),
        "failed": Figure("Messages failed (will be retried)"),
    },
    "stage": {
        "files": Figure("Archive files read"),
        "staged": Figure("Messages staged (new)"),
        "duplicates": Figure("Messages already staged earlier (not added again)"),
        "quarantined": Figure("Inputs rejected at staging (quarantined)"),
        "filtered": Figure("Inputs filtered by a rule (expected traffic without text)"),
    },
    "process": {
        "claimed": Figure("Messages claimed for processing"),
        "processed": Figure("Messages processed (result saved)"),
        "quarantined": Figure("Messages quarantined by the pipeline"),
        "skipped": Figure("Messages skipped (saved meanwhile by another task)"),
        "batches": Figure("Pipeline batches"),
        "needs_review": Figure("Messages flagged for human review"),
        "fallback_calls": Figure("Fallback model calls"),
        "fallback_microusd": Figure("Fallback cost", "USD", scale=1e-6, decimals=4),
    },
    "write_back": {
        "delivered": Figure("Messages written back by this run"),
        "quarantined": Figure("Messages quarantined at write-back (can never be written)"),
        "failed": Figure("Messages whose write-back failed (will be retried)"),
    },
}

#: nested count dicts of the process stage: a heading for each breakdown
BREAKDOWN_TITLES: dict[str, str] = {
    "intents": "Intents",
    "queues": "Routing queues",
    "phi": "PHI spans by type",
    "insurance": "Insurance fields by type",
    "errors": "Errors by catalogue code",
}


def readable(key: str) -> str:
    """``some_metric_name`` -> ``Some metric name`` (for keys without a label)."""
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def figure_of(stage: str, key: str) -> Figure:
    return FIGURES.get(stage, {}).get(key) or FIGURES["*"].get(key) or Figure(readable(key))


def shown(figure: Figure, value: float) -> str:
    scaled = float(value) * figure.scale
    if figure.decimals:
        return f"{scaled:,.{figure.decimals}f}"
    return f"{scaled:,.0f}" if scaled.is_integer() else f"{scaled:,.2f}"


def figure_rows(stage: str, counts: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(label with unit, value as shown, metric key)`` for the flat numeric counts of one
    stage, in the catalogue's order first, then the rest by key."""
    numbers = {k: v for k, v in counts.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    known = [k for k in FIGURES.get(stage, {}) if k in numbers]
    order = known + sorted(k for k in numbers if k not in known)
    rows = []
    for key in order:
        fig = figure_of(stage, key)
        label = f"{fig.label} ({fig.unit})" if fig.unit else fig.label
        rows.append((label, shown(fig, numbers[key]), key))
    return rows


def breakdowns(counts: Mapping[str, Any]) -> list[tuple[str, list[tuple[str, float]]]]:
    """Nested count dicts (intents, PHI types, ...) as ``(heading, [(label, n)])``, largest first."""
    out = []
    for key, value in counts.items():
        if isinstance(value, Mapping) and value:
            pairs = sorted(((str(k), float(v)) for k, v in value.items() if isinstance(v, int | float)),
                           key=lambda kv: (-kv[1], kv[0]))
            if pairs:
                out.append((BREAKDOWN_TITLES.get(key, readable(key)), pairs))
    return out
