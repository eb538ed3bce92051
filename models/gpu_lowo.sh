#!/usr/bin/env bash
# Leave-one-writer-out training and the shipped model, on the GPU machine (the `device`
# tool), from the repo root, with the fp16 base encoder carried in .carry/encoder:
#
#   OUT=$OUT bash models/gpu_lowo.sh
#
# Generates the generator's share there (never carried). For each writer k of
# models/corpus/data/ it trains a fold model on the generator's messages plus every other
# writer (each repeated REPEAT times), exports it to int8 ONNX and predicts writer k with the
# whole pipeline (python -m intakeflow.lowo predict). Then it trains the shipped model on
# everything. Brings back: lowo-predictions.jsonl (out-of-fold), train.log, and the shipped
# checkpoint (state.pt, model.json). `intakeflow eval --lowo` scores the predictions here.
set -euo pipefail
# a plain copy of the repository, nothing installed: models.* from the root, the core intakeflow.* from src/
export PYTHONPATH=.:src PYTHONUNBUFFERED=1 INTAKEFLOW_BASE_ENCODER=${INTAKEFLOW_BASE_ENCODER:-.carry/encoder}
OUT=${OUT:-out}
N=${N:-5000}              # generator messages (2.4.0: 5,000 with REPEAT 12; 2.3.0: 10,000 with 8)
REPEAT=${REPEAT:-12}      # writer messages are few beside the generator's: seen REPEAT times an epoch
EPOCHS=${EPOCHS:-3}
LAYERS=${LAYERS:-3}
BATCH=${BATCH:-64}
JOBS=${JOBS:-14}          # trainings side by side on the one GPU (a 3-layer model leaves it idle)
GPUS=${GPUS:-1}           # on a machine of several GPUs the folds take them in turn
TEACHER_LAYERS=${TEACHER_LAYERS:-}  # e.g. 6: distil each fold's model from a deeper teacher
TEACHER_GROUPS=${TEACHER_GROUPS:-4}  # teachers for the folds: writers split into this many groups,
                          # each teacher trained without one group, so no fold's teacher saw its writer
FOLDS=${FOLDS:-}          # writers to hold out (default: every writer); "none" trains only the shipped model
SHIP=${SHIP:-1}           # also train the shipped model on everything
WORK=${WORK:-.state/gpu-work}  # one folder per configuration, so ablations can run side by side
DATA=${DATA:-.state/gpu-data}  # generated messages (ignored by git: kept between calls on a warm machine)
mkdir -p "$DATA" "$WORK" "$OUT"
python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name())'
t0=$(date +%s)
if [ ! -s "$DATA/gen-$N.jsonl" ]; then
  seq 0 7 | xargs -P 8 -I{} python3 -m intakeflow.cli generate -o "$DATA/gen$N-{}.part" --n $((N / 8)) --seed {} --quiet
  cat "$DATA"/gen"$N"-*.part > "$DATA/gen-$N.jsonl.tmp" && mv "$DATA/gen-$N.jsonl.tmp" "$DATA/gen-$N.jsonl"
fi
echo "generated $(wc -l < "$DATA/gen-$N.jsonl") messages in $(( $(date +%s) - t0 ))s"
writers=$(ls models/corpus/data/w*.jsonl | xargs -n1 basename | sed 's/\.jsonl$//')
[ -n "$FOLDS" ] || FOLDS=$writers
[ "$FOLDS" = none ] && FOLDS=

group_of() {  # the teacher group of writer $1 ("all" for the shipped model)
  [ "$1" = all ] && { echo all; return; }
  local i=0 w
  for w in $writers; do [ "$w" = "$1" ] && { echo "g$((i % TEACHER_GROUPS))"; return; }; i=$((i + 1)); done
}
train_teacher() {  # $1: a group g<i> (trained without that group's writers) or "all"
  local g=$1 data=("$DATA/gen-$N.jsonl") w
  for w in $writers; do [ "$g" != all ] && [ "$(group_of "$w")" = "$g" ] || data+=("models/corpus/data/$w.jsonl:x$REPEAT"); done
  [ -f "$WORK/teacher-$g/state.pt" ] && return
  python3 -m models.train --data "${data[@]}" --out "$WORK/teacher-$g" --layers "$TEACHER_LAYERS" \
    --epochs "$EPOCHS" --batch-size "$BATCH" --held-out 1000 > "$WORK/teacher-$g.log" 2>&1
  echo "teacher $g done at $(( $(date +%s) - t0 ))s"
}
run_fold() {  # $1: writer held out, or "all" for the shipped model
  local k=$1 data=("$DATA/gen-$N.jsonl")
  for w in $writers; do [ "$w" = "$k" ] || data+=("models/corpus/data/$w.jsonl:x$REPEAT"); done
  # done in an earlier call on this machine (a warm machine keeps ignored folders)
  if [ "$k" = all ]; then [ -f "$WORK/all/state.pt" ] && return; else [ -f "$WORK/$k.pred.jsonl" ] && return; fi
  local kd=() i=0 w
  for w in all $writers; do [ "$w" = "$k" ] && break; i=$((i + 1)); done
  export CUDA_VISIBLE_DEVICES=$((i % GPUS))
  # distil from the teacher that never saw writer k
  [ -n "$TEACHER_LAYERS" ] && kd=(--teacher "$WORK/teacher-$(group_of "$k")")
  python3 -m models.train --data "${data[@]}" --out "$WORK/$k" --layers "$LAYERS" "${kd[@]}" \
    --epochs "$EPOCHS" --batch-size "$BATCH" --held-out 1000 > "$WORK/$k.log" 2>&1
  if [ "$k" != all ]; then
    python3 -m models.export "$WORK/$k" --out "$WORK/$k/onnx" >> "$WORK/$k.log" 2>&1
    python3 -m intakeflow.lowo predict --model "$WORK/$k/onnx" --gold "models/corpus/data/$k.jsonl" \
      --out "$WORK/$k.pred.jsonl" >> "$WORK/$k.log" 2>&1
  fi
  echo "fold $k done at $(( $(date +%s) - t0 ))s"
}
export -f run_fold group_of train_teacher
# side-by-side jobs share 16 cores: two threads each for torch's CPU work and onnxruntime
export writers GPUS REPEAT LAYERS EPOCHS BATCH t0 N WORK DATA TEACHER_LAYERS TEACHER_GROUPS OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
if [ -n "$TEACHER_LAYERS" ]; then
  { [ "$SHIP" = 1 ] && echo all; for k in $FOLDS; do group_of "$k"; done; } | sort -u |
    timeout "${LIMIT:-0}" xargs -P "$JOBS" -I{} bash -c 'train_teacher {}' || echo "stopped after ${LIMIT:-0}s: some teachers unfinished"
fi
# LIMIT (seconds) stops unfinished folds in time to collect the finished ones (a lease's call is bounded)
{ [ "$SHIP" = 1 ] && echo all; for k in $FOLDS; do echo "$k"; done; } |
  timeout "${LIMIT:-0}" xargs -P "$JOBS" -I{} bash -c 'run_fold {}' || echo "stopped after ${LIMIT:-0}s: some folds unfinished"
for f in "$WORK"/*.log; do echo "== $f"; tail -n 6 "$f"; done > "$OUT/train.log"
cat "$WORK"/w*.pred.jsonl > "$OUT/lowo-predictions.jsonl" 2>/dev/null || true
if [ -f "$WORK/all/state.pt" ]; then cp "$WORK/all/state.pt" "$WORK/all/model.json" "$OUT/"; fi
grep -h "^data:\|^saved\|^epoch [0-9]*:" "$WORK"/*.log > "$OUT/summary.log" || true
ls -la "$OUT"
echo "total $(( $(date +%s) - t0 ))s"
