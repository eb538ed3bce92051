"""What the fuzz suites share: checking one mutant (in this process or in a worker process),
tallying outcomes, and the PHI-free summary (counts and timings only, never input text)
written to ``.state/fuzz-summary-<suite>.json`` and printed as one line after the run.

A mutant's outcome is a list of (status, code) per record it left: ``staged`` (an
InboundMessage), ``filtered`` (the rule, or for FHIR the reason counted), ``quarantined``
(a catalogue code), or ``uncaught`` (the exception's type name), which fails the suite.
HL7 mutants are read twice: with hl7apy's whole parse (``validation="full"``, the one timed
and measured) and with the fast path; records that differ in anything add ``disagree
fast-path``, which fails the suite too (the fast path costs a fraction of the whole parse).
Time is per message (a file's read time over the records it left); memory is the
tracemalloc peak of every ``MEMORY_EVERY``-th mutant and of every mutant over 16 KB
(tracemalloc slows hl7apy about 2.5x, so not all of them), and the worker's peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intakeflow.errors import lookup
from intakeflow.results import Filtered, InboundMessage, Quarantined

#: tracemalloc on one mutant in this many (and on every large one)
MEMORY_EVERY = 20
_LARGE = 16 * 1024
SUMMARY_DIR = Path(__file__).resolve().parents[2] / ".state"
#: suite name -> summary of its last run in this session (the terminal line reads it)
SUMMARIES: dict[str, dict[str, Any]] = {}

#: (status, code) per record, seconds per message, tracemalloc peak bytes (None: not measured), process peak RSS bytes
Outcome = tuple[list[tuple[str, str]], float, int | None, int]
_counter = 0
_folder: Path | None = None


def classify(item: Any) -> tuple[str, str]:
    if isinstance(item, InboundMessage):
        return "staged", "-"
    if isinstance(item, Filtered):
        return "filtered", item.rule or "no-rule"
    if isinstance(item, Quarantined):
        return "quarantined", item.reason_code if lookup(item.reason_code) is not None else f"not-catalogued:{item.reason_code}"
    return "unknown-type", type(item).__name__


def _check(
    raw: bytes,
    name: str,
    read: Callable[[Path], Iterable[Any]],
    filtered: Counter[str] | None,
    again: Callable[[Path], Iterable[Any]] | None = None,
) -> Outcome:
    """``again``: a second reader whose records must equal ``read``'s (outside the timing)."""
    global _counter, _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="intakeflow-fuzz-"))
    _counter += 1
    path = _folder / name
    path.write_bytes(raw)
    measure = _counter % MEMORY_EVERY == 0 or len(raw) > _LARGE
    if measure:
        tracemalloc.start()
    started = time.perf_counter()
    try:
        items = list(read(path))
    except Exception as exc:  # noqa: BLE001 - the very thing this suite looks for
        return [("uncaught", type(exc).__name__)], time.perf_counter() - started, None, peak_rss_bytes()
    finally:
        peak = tracemalloc.get_traced_memory()[1] if measure else None
        if measure:
            tracemalloc.stop()
    elapsed = time.perf_counter() - started
    outcome = [classify(item) for item in items]
    if again is not None:
        try:
            same = list(again(path)) == items
        except Exception as exc:  # noqa: BLE001 - the second reader must not raise either
            return [("uncaught", type(exc).__name__)], elapsed, peak, peak_rss_bytes()
        if not same:
            outcome.append(("disagree", "fast-path"))
    if filtered:
        outcome += [("filtered", reason) for reason, n in sorted(filtered.items()) for _ in range(n)]
    return outcome, elapsed / max(1, len(outcome)), peak, peak_rss_bytes()


def check_hl7(raw: bytes) -> Outcome:
    """Read one HL7 mutant as an archive file would be read (top level: worker processes call
    it), with hl7apy's whole parse, then with the fast path, which must give the same records."""
    from intakeflow.sources.hl7_files import read_file

    def full(p: Path) -> Iterable[Any]:
        return read_file(p, p.parent, validation="full")

    def fast(p: Path) -> Iterable[Any]:
        return read_file(p, p.parent, validation="fast")

    return _check(raw, "mutant.hl7", full, None, again=fast)


def check_fhir(raw: bytes, ndjson: bool = False) -> Outcome:
    """Read one FHIR mutant as ``intakeflow stage fhir`` reads a file (every status kept)."""
    from intakeflow.cli.store import read_fhir_file

    filtered: Counter[str] = Counter()
    name = "export.ndjson" if ndjson else "doc.json"
    return _check(raw, name, lambda p: list(read_fhir_file(p, statuses=None, filtered=filtered)), filtered)


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class FuzzStats:
    """Tallies of one suite; only counts and timings, so the summary carries no input text."""

    suite: str
    tried: int = 0
    records: int = 0
    status: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    peak_rss: int = 0
    workers: int = 1
    failures: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    started: float = field(default_factory=time.perf_counter)

    def add(self, outcome: Outcome, need_record: bool = True, kind: str = "mutant") -> list[str]:
        """Count one mutant; returns what is wrong with it (empty when it ended properly).
        ``need_record`` False: no record is an outcome of its own (``empty``: a FHIR Bundle
        without entries holds nothing to stage, filter or quarantine)."""
        records, seconds, peak, rss = outcome
        if not self.tried:  # the clock starts with the first input, not at import
            self.started = time.perf_counter()
        self.kinds[kind] += 1
        self.peak_rss = max(self.peak_rss, rss)
        self.tried += 1
        self.records += len(records)
        self.times.append(seconds)
        if peak is not None:
            self.peaks.append(peak)
        wrong = []
        if not records:
            self.status["no-record" if need_record else "empty"] += 1
            if need_record:
                wrong.append("left no record")
        for status, code in records:
            self.status[status] += 1
            self.codes[f"{status}:{code}"] += 1
            if status not in {"staged", "filtered", "quarantined"} or code == "no-rule" or code.startswith("not-catalogued"):
                wrong.append(f"{status} {code}")
        self.failures.extend(wrong[:1])
        return wrong

    def summary(self) -> dict[str, Any]:
        times = sorted(self.times) or [0.0]
        return {
            "suite": self.suite,
            "mutants_tried": self.tried,
            "by_kind": dict(sorted(self.kinds.items())),
            "records": self.records,
            "by_status": dict(sorted(self.status.items())),
            "by_code": dict(sorted(self.codes.items())),
            "time_per_message_ms": {
                "median": round(statistics.median(times) * 1000, 3),
                "p99": round(times[min(len(times) - 1, int(len(times) * 0.99))] * 1000, 3),
                "worst": round(times[-1] * 1000, 3),
            },
            "memory_per_message": {
                "tracemalloc_peak_worst_bytes": max(self.peaks, default=0),
                "tracemalloc_peak_median_bytes": int(statistics.median(self.peaks)) if self.peaks else 0,
                "mutants_measured": len(self.peaks),
                "process_peak_rss_bytes": self.peak_rss,
            },
            "failures": len(self.failures),
            "wall_seconds": round(time.perf_counter() - self.started, 1),
            "workers": self.workers,
        }

    def publish(self) -> dict[str, Any]:
        summary = self.summary()
        SUMMARIES[self.suite] = summary
        SUMMARY_DIR.mkdir(exist_ok=True)
        (SUMMARY_DIR / f"fuzz-summary-{self.suite}.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary


def summary_line(s: dict[str, Any]) -> str:
    t, m = s["time_per_message_ms"], s["memory_per_message"]
    status = " ".join(f"{k}={v}" for k, v in s["by_status"].items())
    return (
        f"fuzz {s['suite']}: {s['mutants_tried']} mutants, {s['records']} records ({status}); "
        f"per message median {t['median']:.2f} ms, worst {t['worst']:.0f} ms; "
        f"worst tracemalloc peak {m['tracemalloc_peak_worst_bytes'] / 2**20:.1f} MiB ({m['mutants_measured']} measured), "
        f"process peak RSS {m['process_peak_rss_bytes'] / 2**20:.0f} MiB; {s['wall_seconds']:.0f} s"
        f" -> .state/fuzz-summary-{s['suite']}.json"
    )


def worker_count() -> int:
    """Worker processes for the checks: ``INTAKEFLOW_FUZZ_WORKERS``, else every core up to 2
    (``make test`` runs on 2 cores); 1 checks in the test process itself."""
    return max(1, int(os.environ.get("INTAKEFLOW_FUZZ_WORKERS", "0")) or min(2, os.cpu_count() or 1))
