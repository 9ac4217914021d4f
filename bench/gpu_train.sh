#!/usr/bin/env bash
# The issue-3 GPU benchmark: `paper` VGG13 at 112 px in bf16 on 250,000 synthetic images kept
# resident on the GPU as uint8, at the paper's batch of 128 and at larger batches (the
# throughput target is 5,000 triplets/s on one H200). One JSON line per configuration.
#   bash bench/gpu_train.sh [OUT.jsonl]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-gpu_train.jsonl}"
: >"$out"
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv || true
for batch in 128 512 1024; do
  python -m bench.gpu_train --images 250000 --batch "$batch" --steps 40 --warmup 8 | tee -a "$out"
done
# channels-last convolutions also pick up torch.compile's fusions of the augmentation
python -m bench.gpu_train --images 250000 --batch 1024 --steps 40 --warmup 8 --compile | tee -a "$out" || true
