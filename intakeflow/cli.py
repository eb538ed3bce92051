"""The ``intakeflow`` command line: predict, eval, bench, generate, train, export."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from intakeflow.models.runtime import DEFAULT_ARTIFACT

if TYPE_CHECKING:
    from intakeflow.pipeline import Pipeline

#: the published three-model suite's per-type strict F1 (DEVELOPERS.md), shown beside ours
SUITE_F1 = {
    "NAME": 0.96, "DATE": 0.95, "PHONE": 0.98, "LOC": 0.82, "MRN": 0.28, "LICENSE": 0.17,
    "HEALTH_PLAN": 0.26, "BIOMETRIC": 0.10, "DEVICE": 0.34, "SSN": 0.58, "AUTH_NUMBER": 0.30,
}  # fmt: skip


def _pipeline(args: argparse.Namespace) -> Pipeline:
    from intakeflow.pipeline import Pipeline, PipelineConfig

    cfg = PipelineConfig(model_path=Path(args.model), threads=args.threads)
    if getattr(args, "no_validators", False):
        cfg.validators = False
    return Pipeline(cfg)


def cmd_predict(args: argparse.Namespace) -> int:
    from intakeflow.jsonl import BadLine, read_inputs, result_record
    from intakeflow.results import PipelineResult

    pipe = _pipeline(args)
    items = list(read_inputs(Path(args.input)))
    n_err = 0
    with open(args.output, "w", encoding="utf-8") as out, tqdm(total=len(items), unit="msg", disable=args.quiet) as bar:
        for i in range(0, len(items), args.batch):
            chunk = items[i : i + args.batch]
            good = [x for x in chunk if not isinstance(x, BadLine)]
            done = iter(pipe.process(good))
            for x in chunk:
                if isinstance(x, BadLine):
                    res = PipelineResult(id=x.id, error_code=x.error.code_id, error=str(x.error), pipeline_version=pipe.version)
                    channel = None
                else:
                    res, channel = next(done), x.channel
                n_err += res.error_code is not None
                out.write(json.dumps(result_record(res, channel), ensure_ascii=False) + "\n")
            bar.update(len(chunk))
    print(f"wrote {len(items)} results to {args.output} ({n_err} with errors)", file=sys.stderr)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from intakeflow.evaluation import format_report, score
    from intakeflow.jsonl import read_gold, result_record
    from intakeflow.results import PipelineInput

    gold = read_gold(Path(args.gold))
    if args.predictions:
        pred = read_gold(Path(args.predictions))
    else:
        pipe = _pipeline(args)
        inputs = [PipelineInput(id=g["id"], text=g["text"], channel=g.get("channel")) for g in gold]
        pred = []
        for i in tqdm(range(0, len(inputs), args.batch), unit="batch", disable=args.quiet):
            pred += [result_record(r) for r in pipe.process(inputs[i : i + args.batch])]
    report = score(gold, pred)
    print(json.dumps(report.to_json(), indent=2) if args.json else format_report(report, SUITE_F1))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from intakeflow.bench import run_bench

    return run_bench(args)


def cmd_generate(args: argparse.Namespace) -> int:
    from intakeflow.models.generator import write_jsonl

    n = write_jsonl(Path(args.output), args.n, seed=args.seed, progress=not args.quiet)
    print(f"wrote {n} messages to {args.output}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from intakeflow.models.train import train

    train(args)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from intakeflow.models.export import export

    print(export(Path(args.checkpoint), Path(args.out), quantize=not args.no_quantize))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="intakeflow", description="Route, redact and extract patient messages.")
    sub = p.add_subparsers(dest="command", required=True)

    def model_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--model", default=str(DEFAULT_ARTIFACT), help="model artifact folder")
        sp.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
        sp.add_argument("--batch", type=int, default=32, help="messages per pipeline batch")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    sp = sub.add_parser("predict", help="run the pipeline over a JSONL file of messages")
    sp.add_argument("input")
    sp.add_argument("-o", "--output", required=True)
    model_args(sp)
    sp.set_defaults(func=cmd_predict)

    sp = sub.add_parser("eval", help="score the pipeline against gold JSONL (spec §5 tables)")
    sp.add_argument("gold")
    sp.add_argument("--predictions", help="score this predictions file instead of running the pipeline")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--no-validators", action="store_true", help="model only (ablation)")
    model_args(sp)
    sp.set_defaults(func=cmd_eval)

    sp = sub.add_parser("bench", help="latency, throughput, load time, memory; Presidio side by side")
    sp.add_argument("--gold", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dev-sample.jsonl"))
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

    from intakeflow.models.train_args import add_train_args

    sp = sub.add_parser("train", help="fine-tune the multi-task model (GPU; --tiny runs on CPU)")
    add_train_args(sp)
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("export", help="checkpoint -> int8 ONNX artifact folder")
    sp.add_argument("checkpoint")
    sp.add_argument("--out", required=True)
    sp.add_argument("--no-quantize", action="store_true")
    sp.set_defaults(func=cmd_export)

    from intakeflow.mllp.listen_cli import add_mllp_listen_parser

    add_mllp_listen_parser(sub)

    from intakeflow.reprocess_cli import add_reprocess_parser

    add_reprocess_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
