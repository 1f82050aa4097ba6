#!/usr/bin/env bash
# Train the embedded default generator (resources/default_generator.safetensors) and collect its outputs.
# usage: [EXTRA="--pool 64 --workers 1"] scripts/train_default.sh DEST MINUTES DEVICE
# DEST receives at most 8 files (the device tool's limit): generator.safetensors, samples_final.png,
# logs_samples.tar (log, progress grids) and checkpoint.pt split into 15 MB parts (cat them to resume).
set -uo pipefail
DEST=${1:?destination folder}; MIN=${2:-8}; DEV=${3:-cuda}
PY=${PYTHON:-python3}
RUN=${RUN_DIR:-/tmp/default_run}
export PYTHONUNBUFFERED=1
mkdir -p "$DEST" "$RUN"
DEST=$(cd "$DEST" && pwd)
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
# SIGINT after the budget plus a margin: the trainer's finally-block still writes weights and checkpoint.
timeout -s INT $(( ${MIN%.*} * 60 + 75 )) "$PY" main.py train --preset gpu --device "$DEV" \
    --minutes "$MIN" --out "$RUN" --export "$DEST/generator.safetensors" --snapshot-every 90 --ckpt-every 120 --threads 2 ${EXTRA:-} 2>&1 | tee "$RUN/train.log"
rc=${PIPESTATUS[0]}
cp "$RUN/samples_final.png" "$DEST/"
(cd "$RUN" && tar -cf "$DEST/logs_samples.tar" log.jsonl train.log samples_*.png)
split -b 15M -d "$RUN/checkpoint.pt" "$DEST/checkpoint.pt.part"
ls -l "$DEST"
exit "$rc"
