"""``python -m tools.bench_parse``: HL7 v2 read + parse rate per core, fast path beside full.

Reads the archive path's way (``read_file``: file bytes, split, ``parse_hl7``) with
``validation="full"`` (hl7apy parses every message whole: the baseline) and
``validation="fast"`` (hl7apy's remembered verdicts, :mod:`intakeflow.sources.hl7_fast`), on

* the public HL7 v2 samples beside the project (``../shared/external/hl7v2/*.hl7``, test
  input only; skipped when absent): 139 messages of many senders, versions and types;
* a synthetic archive written by ``tools.demo_data.write_hl7_archive`` (what
  ``make bench-archive`` reads): ORU, ADT and MDM messages around generated texts.

``fast, cold`` starts with nothing remembered (a new worker process), ``fast, warm`` reads
the same files again. One process, pinned to one core (``--cpu``, as ``taskset -c 1``);
rates are messages per CPU second of that process. Prints figures only; asserts nothing,
but says whether both paths gave the same records.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from intakeflow.results import SourceItem
from intakeflow.sources import hl7_fast
from intakeflow.sources.hl7_files import list_archive_files, read_file
from tools.demo_data import demo_texts, write_hl7_archive

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external" / "hl7v2"
FIRST_DAY = datetime(2024, 3, 4, tzinfo=UTC)
DAYS = 5
FILES_PER_DAY = 10
#: issue 12: the archive path read and parsed ~186 messages/s; the target is 2,000 per core
ISSUE_BASELINE = 186.0
TARGET = 2000.0


@dataclass
class Row:
    corpus: str
    mode: str
    messages: int
    cpu_s: float

    @property
    def rate(self) -> float:
        return self.messages / self.cpu_s if self.cpu_s > 0 else float("inf")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench_parse", description=(__doc__ or "").splitlines()[0])
    p.add_argument("--messages", type=int, default=5000, help="messages in the synthetic archive (fast path)")
    p.add_argument(
        "--full-messages",
        type=int,
        default=600,
        help="synthetic messages the full path reads (its files from the start; ~5 ms each)",
    )
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--cpu", type=int, default=1, help="core to pin to (-1: do not pin)")
    p.add_argument("--external", type=Path, default=EXTERNAL, help="folder of *.hl7 samples")
    return p.parse_args(argv)


def pin(cpu: int) -> str:
    if cpu < 0 or not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    if cpu not in os.sched_getaffinity(0):
        return f"not pinned (core {cpu} not available)"
    os.sched_setaffinity(0, {cpu})
    return f"pinned to core {cpu}"


def timed(read: Callable[[], list[SourceItem]]) -> tuple[list[SourceItem], float]:
    started = time.process_time()
    items = read()
    return items, time.process_time() - started


def read_all(files: list[Path], root: Path | None, mode: str) -> list[SourceItem]:
    return [item for path in files for item in read_file(path, root, validation=mode)]


def bench(corpus: str, files: list[Path], root: Path | None, full_files: list[Path]) -> tuple[list[Row], bool]:
    """Full on ``full_files``, then fast cold and warm on ``files``; True if the records agree."""
    full, full_s = timed(lambda: read_all(full_files, root, "full"))
    hl7_fast.clear()
    cold, cold_s = timed(lambda: read_all(files, root, "fast"))
    warm, warm_s = timed(lambda: read_all(files, root, "fast"))
    same = cold == warm and cold[: len(full)] == full
    rows = [
        Row(corpus, "full (hl7apy, whole message)", len(full), full_s),
        Row(corpus, "fast, cold", len(cold), cold_s),
        Row(corpus, "fast, warm", len(warm), warm_s),
    ]
    return rows, same


def table(rows: list[Row], same: dict[str, bool]) -> str:
    lines = [f"{'corpus':<22}{'mode':<30}{'messages':>9}{'CPU s':>9}{'msg/s/core':>12}{'x full':>8}"]
    for r in rows:
        full = next(x for x in rows if x.corpus == r.corpus and x.mode.startswith("full"))
        lines.append(f"{r.corpus:<22}{r.mode:<30}{r.messages:>9}{r.cpu_s:>9.2f}{r.rate:>12.0f}{r.rate / full.rate:>8.1f}")
    lines.append("same records both ways: " + ", ".join(f"{c} {'yes' if ok else 'NO'}" for c, ok in same.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"python {sys.version.split()[0]}, {pin(args.cpu)}; rates are messages per CPU second", flush=True)
    rows: list[Row] = []
    same: dict[str, bool] = {}
    samples = sorted(args.external.glob("*.hl7")) if args.external.is_dir() else []
    if samples:
        got, same["external"] = bench("external samples", samples, None, samples)
        rows += got
    else:
        print(f"external samples: none in {args.external}, skipped")
    with tempfile.TemporaryDirectory(prefix="intakeflow-bench-parse-") as tmp:
        root = Path(tmp)
        summary = write_hl7_archive(
            root, demo_texts(args.messages, args.seed), FIRST_DAY, days=DAYS, files_per_day=FILES_PER_DAY, seed=args.seed
        )
        files = list_archive_files(root, FIRST_DAY, FIRST_DAY + timedelta(days=DAYS))
        per_file = max(1, summary.messages // max(1, len(files)))
        full_files = files[: max(1, -(-args.full_messages // per_file))]
        print(
            f"synthetic archive: {summary.messages} messages in {summary.files} files "
            f"({summary.without_text} without text); the full path reads the first {len(full_files)} files",
            flush=True,
        )
        got, same["synthetic"] = bench("synthetic archive", files, root, full_files)
        rows += got
    print()
    print(table(rows, same))
    warm = [r.rate for r in rows if r.mode == "fast, warm"]
    print(
        f"baseline (issue 12): ~{ISSUE_BASELINE:.0f} messages/s with the full path; target >= {TARGET:.0f} per core: "
        f"{'met' if warm and min(warm) >= TARGET else 'NOT met'} by the fast path warm"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
