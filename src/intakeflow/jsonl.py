"""Reading message JSONL safely: one bad line becomes an error record, never a crash."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intakeflow.errors import E, InputError
from intakeflow.results import PipelineInput, PipelineResult


@dataclass
class BadLine:
    line: int
    id: str
    error: InputError


def read_inputs(path: Path) -> Iterator[PipelineInput | BadLine]:
    """Yield inputs (``id``, ``text``, optional ``channel``/``scope``) or per-line errors."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            fallback_id = f"line-{n}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                yield BadLine(n, fallback_id, InputError(E.E004_BAD_ENCODING, encoding="UTF-8"))
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = None
            if not isinstance(obj, dict):
                yield BadLine(n, fallback_id, InputError(E.E006_BAD_JSON, line=n))
                continue
            rid = str(obj.get("id") or fallback_id)
            if "text" not in obj:
                yield BadLine(n, rid, InputError(E.E005_MISSING_FIELD, field="text"))
                continue
            yield PipelineInput(id=rid, text=obj["text"], channel=obj.get("channel"), scope=obj.get("scope"))


def read_gold(path: Path) -> list[dict[str, Any]]:
    """Records of a JSON-lines file (gzip-compressed when it ends in ``.gz``, as the committed
    out-of-fold predictions), or of every ``*.jsonl`` file of a folder (the writer corpus)."""
    if path.is_dir():
        return [rec for f in sorted(path.glob("*.jsonl")) for rec in read_gold(f)]
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def result_record(res: PipelineResult, channel: str | None = None) -> dict[str, Any]:
    """A result in the spec's gold format plus the pipeline's extra fields."""
    rec: dict[str, Any] = {
        "id": res.id,
        "channel": channel,
        "intent": res.intent,
        "phi": [s.to_json() for s in res.phi],
        "insurance": [s.to_json() for s in res.insurance],
        "intent_confidence": round(res.intent_confidence, 4),
        "needs_review": res.needs_review,
        "queue": res.queue,
        "redacted_text": res.redacted_text,
        "redacted_spans": [s.to_json() for s in res.redaction],
        "insurance_json": res.insurance_json,
        "pipeline_version": res.pipeline_version,
    }
    if res.error_code:
        rec["error_code"] = res.error_code
        rec["error"] = res.error
    return rec
