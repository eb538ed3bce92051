"""The ``intakeflow`` command line: predict, eval, bench, generate, train, export; the other
commands are the modules of this package. Importing it (as importing any of them does) loads
neither the model runtime nor tqdm: the commands import what they use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from intakeflow.cli.common import positive_int, usage_error
from intakeflow.errors import E, IntakeflowError

if TYPE_CHECKING:
    from intakeflow.pipeline import Pipeline, PipelineConfig

#: the published three-model suite's per-type strict F1 (DEVELOPERS.md), shown beside ours
SUITE_F1 = {
    "NAME": 0.96, "DATE": 0.95, "PHONE": 0.98, "LOC": 0.82, "MRN": 0.28, "LICENSE": 0.17,
    "HEALTH_PLAN": 0.26, "BIOMETRIC": 0.10, "DEVICE": 0.34, "SSN": 0.58, "AUTH_NUMBER": 0.30,
}  # fmt: skip


def _pipeline(args: argparse.Namespace) -> Pipeline:
    from intakeflow.pipeline import Pipeline

    return Pipeline(_pipeline_config(args))


def _pipeline_config(args: argparse.Namespace) -> PipelineConfig:
    from intakeflow.pipeline import PipelineConfig

    cfg = PipelineConfig(model_path=Path(args.model), threads=args.threads)
    if getattr(args, "no_validators", False):
        cfg.validators = False
    if getattr(args, "site_formats", None) or os.environ.get("INTAKEFLOW_SITE_FORMATS"):
        from intakeflow.pipeline.recognizers.site_formats import load_site_formats

        cfg.site_formats = load_site_formats(getattr(args, "site_formats", None))
    if getattr(args, "no_decoding", False):
        cfg.decoding = False
    if getattr(args, "redaction_threshold", None) is not None:
        cfg.redaction_threshold = args.redaction_threshold
    return cfg


def cmd_predict(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from intakeflow.jsonl import BadLine, read_inputs, result_record
    from intakeflow.pipeline.model.runtime import artifact_version
    from intakeflow.results import PipelineInput, PipelineResult

    source, output = Path(args.input), Path(args.output)
    if not source.is_file():
        return usage_error("predict", f"{source}: no such file")
    if not output.parent.is_dir():
        return usage_error("predict", f"{output.parent}: no such folder for the output")
    if output.is_dir():
        return usage_error("predict", f"{output}: a folder, not a file")
    items = list(read_inputs(source))
    chunks = [items[i : i + args.batch] for i in range(0, len(items), args.batch)]
    goods = [[x for x in chunk if isinstance(x, PipelineInput)] for chunk in chunks]
    if args.processes > 1:
        from intakeflow.pipeline.processes import map_in_processes

        version = artifact_version(args.model)
        results: Generator[list[PipelineResult]] = map_in_processes(_pipeline_config(args), goods, args.processes)
    else:
        pipe = _pipeline(args)
        version = pipe.version
        results = (pipe.process(good) for good in goods)
    n_err = 0
    with _complete_or_nothing(output) as out, closing(results), _sigterm_exits(), \
            tqdm(total=len(items), unit="msg", disable=args.quiet) as bar:
        for chunk, done in zip(chunks, results, strict=True):
            good = iter(done)
            for x in chunk:
                if isinstance(x, BadLine):
                    res = PipelineResult(id=x.id, error_code=x.error.code_id, error=str(x.error), pipeline_version=version)
                    channel = None
                else:
                    res, channel = next(good), x.channel
                n_err += res.error_code is not None
                out.write(json.dumps(result_record(res, channel), ensure_ascii=False) + "\n")
            bar.update(len(chunk))
    print(f"wrote {len(items)} results to {args.output} ({n_err} with errors)", file=sys.stderr)
    return 0


@contextmanager
def _complete_or_nothing(output: Path) -> Iterator[IO[str]]:
    """The output file, written whole or not at all: a regular file (or a new one) is
    written beside it, owner-only as results hold PHI, and renamed over it when complete,
    keeping an existing file's mode. Anything else (a pipe, /dev/stdout) is written to as it is."""
    target = output.resolve()
    if target.exists() and not target.is_file():
        with target.open("w", encoding="utf-8") as out:
            yield out
        return
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    partial = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        if target.exists():
            shutil.copymode(target, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM (a scheduler's or ``timeout``'s stop) raises SystemExit here, so the clean-up
    of the ``with`` blocks runs: spawned processes stopped, no partial file left."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_eval(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from intakeflow.evaluation import format_report, score
    from intakeflow.jsonl import read_gold, result_record
    from intakeflow.results import PipelineInput

    gold = read_gold(Path(args.gold))
    if args.lowo:
        return _eval_lowo(gold, [Path(p) for p in args.lowo], args)
    if args.predictions:
        pred = read_gold(Path(args.predictions))
    else:
        pipe = _pipeline(args)
        inputs = [PipelineInput(id=g["id"], text=g["text"], channel=g.get("channel")) for g in gold]
        pred = []
        for i in tqdm(range(0, len(inputs), args.batch), unit="batch", disable=args.quiet):
            done = pipe.process(inputs[i : i + args.batch])
            pred += [{**result_record(r), "writer": g.get("writer")} for r, g in zip(done, gold[i : i + args.batch])]
    report = score(gold, pred)
    print(json.dumps(report.to_json(), indent=2) if args.json else format_report(report, SUITE_F1))
    if args.by_writer and all("writer" in g for g in gold):
        from intakeflow.lowo import by_writer, lowo_table

        print()
        print(lowo_table(by_writer(gold, pred)))
    return 0


def _eval_lowo(gold: list[dict[str, Any]], pred_paths: list[Path], args: argparse.Namespace) -> int:
    """Score out-of-fold predictions: tune what is fitted on held-out writers, then the table.
    Several files are pooled (folds of one run and writers scored by a model that never saw
    them); a message predicted twice is an error, not a silent choice."""
    from intakeflow.evaluation import format_report
    from intakeflow.jsonl import read_gold
    from intakeflow.lowo import apply, by_writer, lowo_table, tune

    preds = [p for path in pred_paths for p in read_gold(path)]
    ids = {p["id"] for p in preds}
    if len(ids) != len(preds):
        print(f"{len(preds) - len(ids)} message(s) predicted in more than one --lowo file", file=sys.stderr)
        return 2
    gold = [g for g in gold if g["id"] in ids]
    tuned = tune(gold, preds)
    reports = by_writer(gold, apply(preds, tuned))
    if args.write_artifact:
        from intakeflow.lowo import write_tuned

        write_tuned(Path(args.write_artifact), tuned, reports["all"])
    if args.json:
        out = {w: r.to_json() for w, r in reports.items()}
        out["tuned"] = {
            "temperature": round(tuned.temperature, 4),
            "review_threshold": tuned.review_threshold,
            "redaction_threshold": tuned.redaction_threshold,
        }
        print(json.dumps(out, indent=2))
        return 0
    print(f"leave-one-writer-out: {len(gold)} messages, {len(reports) - 1} writers, each scored by a model trained without it")
    print(
        f"tuned on out-of-fold predictions: temperature {tuned.temperature:.3f}, review threshold "
        f"{tuned.review_threshold:.2f}, redaction threshold {tuned.redaction_threshold:.2f}"
    )
    print()
    print(lowo_table(reports))
    print()
    print(format_report(reports["all"]))
    print()
    print("needs_review threshold -> flagged, misrouted and not flagged")
    for t, flagged, wrong in tuned.review_curve[::5]:
        print(f"  {t:.2f}  {flagged:6.1%}  {wrong:6.1%}")
    print("redaction threshold -> redaction recall, over-redaction")
    for t, rec, over in tuned.redaction_curve:
        print(f"  {t:.2f}  {rec:.4f}  {over:.3f}")
    return 0


def cmd_eval_pii(args: argparse.Namespace) -> int:
    """Identifier character recall on a presidio-research style set (another label scheme)."""
    from tqdm import tqdm

    from intakeflow.evaluation import PRESIDIO_IDENTIFIERS, char_recall
    from intakeflow.results import PipelineInput

    data = json.loads(Path(args.dataset).read_text(encoding="utf-8"))
    pipe = _pipeline(args)
    inputs = [PipelineInput(id=str(i), text=r["full_text"]) for i, r in enumerate(data)]
    rows = []
    for i in tqdm(range(0, len(inputs), args.batch), unit="batch", disable=args.quiet):
        for r, res in zip(data[i : i + args.batch], pipe.process(inputs[i : i + args.batch])):
            text = r["full_text"]
            gold = [(s["start_position"], s["end_position"], s["entity_type"]) for s in r["spans"]]
            rows.append((text, gold, [(sp.start, sp.end) for sp in res.redaction]))
    cr = char_recall(rows)
    out = {
        "messages": len(data),
        "identifier_char_recall": round(cr.recall(PRESIDIO_IDENTIFIERS), 4),
        "per_type": {t: round(cr.covered[t] / cr.total[t], 4) for t in PRESIDIO_IDENTIFIERS if cr.total[t]},
        "redacted_chars_outside_gold": round(cr.outside_share, 4),
    }
    print(json.dumps(out, indent=2))
    return 0


def checkout_tools(folder: str = "tools") -> bool:
    """Make a package of a source checkout that stays outside the wheel importable: the
    developer tools (``tools/``) or the generator and training code (``models/``), both beside
    ``src/``. False where there is none (an installed wheel)."""
    root = Path(__file__).resolve().parents[3]  # <root>/src/intakeflow/cli/__init__.py
    if not (root / folder / "__init__.py").is_file():
        return False
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return True


def not_in_wheel(name: str) -> int:
    print(IntakeflowError(E.E052_NOT_IN_WHEEL, name=name), file=sys.stderr)
    return 1


def cmd_bench(args: argparse.Namespace) -> int:
    if not checkout_tools():
        return not_in_wheel("intakeflow bench")
    from tools.bench import run_bench

    if not Path(args.gold).is_file():  # the dev sample lives beside the checkout, not in it
        return usage_error("bench", f"{args.gold}: no such file (give the gold messages to time with --gold)")
    return run_bench(args)


def cmd_generate(args: argparse.Namespace) -> int:
    if not checkout_tools("models"):
        return not_in_wheel("intakeflow generate")
    from models.generator import write_jsonl

    n = write_jsonl(Path(args.output), args.n, seed=args.seed, progress=not args.quiet)
    print(f"wrote {n} messages to {args.output}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if not checkout_tools("models"):
        return not_in_wheel("intakeflow train")
    from models.train import train

    train(args)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    if not checkout_tools("models"):
        return not_in_wheel("intakeflow export")
    from models.export import export

    print(export(Path(args.checkpoint), Path(args.out), quantize=not args.no_quantize))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT

    p = argparse.ArgumentParser(prog="intakeflow", description="Route, redact and extract patient messages.")
    sub = p.add_subparsers(dest="command", required=True)

    def model_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--model", default=str(DEFAULT_ARTIFACT), help="model artifact folder")
        sp.add_argument("--threads", type=positive_int, default=1,
                        help="model threads (of each process, with --processes) (default: 1)")
        sp.add_argument("--batch", type=positive_int, default=32, help="messages per pipeline batch (default: 32)")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument(
            "--site-formats",
            metavar="FILE",
            help="JSON file of this site's MRN, member ID and account formats (default: $INTAKEFLOW_SITE_FORMATS)",
        )

    sp = sub.add_parser("predict", help="run the pipeline over a JSONL file of messages")
    sp.add_argument("input", help="JSONL, a message per line: id, text, optional channel and scope")
    sp.add_argument("-o", "--output", required=True,
                    help="JSONL of results in input order, a line per input line (blank lines skipped); "
                         "a regular file appears only when complete")
    model_args(sp)
    sp.add_argument(
        "--processes", type=positive_int, default=1,
        help="processes side by side, each with its own model; --processes 2 --threads 1 is the fastest on "
             "2 cores (default: 1)",
    )
    sp.set_defaults(func=cmd_predict)

    sp = sub.add_parser("eval", help="score the pipeline against gold JSONL (spec §5 tables)")
    sp.add_argument("gold")
    sp.add_argument("--predictions", help="score this predictions file instead of running the pipeline")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--no-validators", action="store_true", help="model only (ablation)")
    sp.add_argument("--no-decoding", action="store_true", help="without the word, name and repeat rules (ablation)")
    sp.add_argument("--redaction-threshold", type=float, help="PHI probability from which a token is redacted")
    sp.add_argument("--by-writer", action="store_true", help="also a table per writer (gold records with 'writer')")
    sp.add_argument(
        "--lowo",
        metavar="PREDICTIONS",
        nargs="+",
        help="score out-of-fold predictions of leave-one-writer-out training (models/gpu_lowo.sh); "
        "GOLD is the writer corpus folder; several files are pooled",
    )
    sp.add_argument(
        "--write-artifact",
        metavar="DIR",
        help="with --lowo: write the tuned temperature and review and redaction thresholds into DIR/model.json",
    )
    model_args(sp)
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser(
        "eval-pii", help="identifier character recall of the redaction on a presidio-research style JSON set"
    )
    sp.add_argument("dataset", help="JSON list of {full_text, spans: [{start_position, end_position, entity_type}]}")
    sp.add_argument("--redaction-threshold", type=float, help="PHI probability from which a token is redacted")
    model_args(sp)
    sp.set_defaults(func=cmd_eval_pii)

    sp = sub.add_parser("bench", help="latency, throughput, load time, memory; Presidio side by side")
    sp.add_argument("--gold", default=str(Path(__file__).resolve().parents[4] / "shared" / "data" / "dev-sample.jsonl"),
                    help="gold JSONL to time and score (default: the dev sample in ../shared/data beside the checkout)")
    sp.add_argument("--n", type=int, default=500, help="single-message timings")
    sp.add_argument("--no-presidio", action="store_true")
    model_args(sp)
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("generate", help="write synthetic gold training data")
    sp.add_argument("-o", "--output", required=True)
    sp.add_argument("--n", type=int, default=50_000)
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--quiet", action="store_true")
    sp.set_defaults(func=cmd_generate)

    sp = sub.add_parser("train", help="fine-tune the multi-task model (GPU; --tiny runs on CPU)")
    if checkout_tools("models"):  # training code: models/ of a source checkout, not in the wheel
        from models.train_args import add_train_args

        add_train_args(sp)
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("export", help="checkpoint -> int8 ONNX artifact folder")
    sp.add_argument("checkpoint")
    sp.add_argument("--out", required=True)
    sp.add_argument("--no-quantize", action="store_true")
    sp.set_defaults(func=cmd_export)

    from intakeflow.cli.mllp_listen import add_mllp_listen_parser

    add_mllp_listen_parser(sub)

    from intakeflow.cli.reprocess import add_reprocess_parser

    add_reprocess_parser(sub)

    from intakeflow.cli.fhir_bulk import add_fhir_bulk_parser
    from intakeflow.cli.store import add_store_parsers

    add_fhir_bulk_parser(add_store_parsers(sub))

    from intakeflow.cli.errors import add_errors_parser
    from intakeflow.cli.health import add_health_parser
    from intakeflow.cli.recognizers import add_recognizers_parser

    add_health_parser(sub)
    add_errors_parser(sub)
    add_recognizers_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except IntakeflowError as exc:  # one coded line (codes and paths, never message text)
        print(str(exc), file=sys.stderr)
        return 1
