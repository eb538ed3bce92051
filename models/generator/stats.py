"""Coverage summary of a batch of records: counts only, never text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def stats(records: Iterable[dict[str, Any]], show: bool = True) -> dict[str, Counter[str]]:
    """Count intents, channels, and per-type span occurrences and message coverage."""
    out: dict[str, Counter[str]] = {k: Counter() for k in ("intent", "channel", "spans", "messages", "length")}
    n = 0
    for rec in records:
        n += 1
        out["intent"][rec["intent"]] += 1
        out["channel"][rec["channel"]] += 1
        seen: set[str] = set()
        for key in ("phi", "insurance"):
            for s in rec[key]:
                tag = f"{key}:{s['label']}"
                out["spans"][tag] += 1
                seen.add(tag)
        out["messages"].update(seen)
        ln = len(rec["text"])
        out["length"]["<200" if ln < 200 else "<500" if ln < 500 else "<1500" if ln < 1500 else ">=1500"] += 1
    if show and n:
        for k in ("intent", "channel", "length"):
            print(k, dict(sorted(out[k].items())))
        for tag, c in sorted(out["spans"].items()):
            print(f"{tag:28s} spans={c:7d} in {100 * out['messages'][tag] / n:5.1f}% of messages")
    return out
