#!/usr/bin/env bash
# The trainer image's job: check the dataset, train (resuming an interrupted run), evaluate,
# and build the serving bundle. Idempotent: a run whose bundle is already servable is done,
# and a run with a checkpoint resumes, so `restart: on-failure` or a rerun is always safe.
#
# Variables (docker-compose.yml passes them from .env):
#   LOOKBOOK_DATA (/data)            the Polyvore Outfits folder, read-only
#   LOOKBOOK_OUTPUT (/artifacts)     runs/<name>/ and bundles/<name>/ are written there
#   LOOKBOOK_RUN_NAME (polyvore)     the run's and the bundle's folder name
#   LOOKBOOK_SPLIT (disjoint)        nondisjoint or disjoint
#   LOOKBOOK_GPUS (1)                processes (one per GPU); more than 1 runs torchrun
#   LOOKBOOK_TRAIN_DEVICE (cuda)     cuda fails at once if no GPU is visible; cpu or auto
#   LOOKBOOK_TRAIN_SET ("")          config overrides, space-separated key=value
#   LOOKBOOK_INDEX_FACTORY (Flat)    the bundle's faiss index (docs/index.md)
set -euo pipefail

data="${LOOKBOOK_DATA:-/data}"
output="${LOOKBOOK_OUTPUT:-/artifacts}"
name="${LOOKBOOK_RUN_NAME:-polyvore}"
split="${LOOKBOOK_SPLIT:-disjoint}"
gpus="${LOOKBOOK_GPUS:-1}"
device="${LOOKBOOK_TRAIN_DEVICE:-cuda}"
factory="${LOOKBOOK_INDEX_FACTORY:-Flat}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
run="$output/runs/$name"
bundle="$output/bundles/$name"

say() { echo "[trainer] $*" >&2; }

if [ -f "$bundle/manifest.json" ] && python "$here/wait_for_bundle.py" --once "$bundle"; then
  say "$bundle is built and servable: nothing to do (set RUN_NAME to train a new one)"
  exit 0
fi

say "checking $data ($split)"
lookbook check "$data" --split "$split"

args=(train --data "$data" --split "$split" --out "$run" --set "train.device=$device")
# shellcheck disable=SC2206  # word splitting is the format: "key=value key=value"
overrides=(${LOOKBOOK_TRAIN_SET:-})
for kv in "${overrides[@]}"; do args+=(--set "$kv"); done
if [ -f "$run/last.pt" ]; then
  say "resuming $run"
  args+=(--resume)
fi
mkdir -p "$output/runs" "$output/bundles"
if [ "$gpus" -gt 1 ]; then
  say "training $run on $gpus GPUs (torchrun)"
  torchrun --standalone --nproc_per_node="$gpus" -m app.cli "${args[@]}"
else
  say "training $run"
  lookbook "${args[@]}"
fi

say "evaluating on the test split"
# written beside, then renamed: a reader never sees half a report
lookbook evaluate --run "$run" --data "$data" --split "$split" --quiet > "$run/evaluation.json.tmp"
mv "$run/evaluation.json.tmp" "$run/evaluation.json"
cat "$run/evaluation.json"

say "building $bundle ($factory)"
lookbook build-index --run "$run" --data "$data" --out "$bundle" --factory "$factory" --quiet
say "done: serve it with BUNDLE=$name (docs/deploy.md)"
