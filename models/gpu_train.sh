#!/usr/bin/env bash
# How the committed model was trained: run on the GPU machine (the `device` tool) from the
# repo root, with the fp16 base encoder carried in .carry/encoder (see models/README.md).
# Generates the training set there (never carried), trains the 6- and 4-layer variants side
# by side on one GPU, and leaves checkpoints in $OUT split into parts under 16 MiB.
set -euo pipefail
export PYTHONPATH=. PYTHONUNBUFFERED=1 INTAKEFLOW_BASE_ENCODER=${INTAKEFLOW_BASE_ENCODER:-.carry/encoder}
OUT=${OUT:-out}
N=${N:-64000}
SHARDS=${SHARDS:-8}
EPOCHS=${EPOCHS:-4}
mkdir -p data "$OUT"
python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name())'
t0=$(date +%s)
seq 0 $((SHARDS - 1)) | xargs -P "$SHARDS" -I{} \
  python3 -m intakeflow.cli generate -o data/part{}.jsonl --n $((N / SHARDS)) --seed {} --quiet
cat data/part*.jsonl > data/train.jsonl
echo "generated $(wc -l < data/train.jsonl) messages in $(( $(date +%s) - t0 ))s"
for L in ${LAYERS:-6 4}; do
  python3 -m intakeflow.models.train --data data/train.jsonl --out "$OUT/l$L" --layers "$L" \
    --epochs "$EPOCHS" --batch-size 32 > "$OUT/train-l$L.log" 2>&1 &
done
wait
for L in ${LAYERS:-6 4}; do
  tail -n 8 "$OUT/train-l$L.log"
  (cd "$OUT/l$L" && split -b 15M state.pt state.pt.part- && rm state.pt)
done
# $OUT brings back at most 8 files: one log
cat "$OUT"/train-l*.log > "$OUT/train.log" && rm "$OUT"/train-l*.log
ls -la "$OUT"/*
