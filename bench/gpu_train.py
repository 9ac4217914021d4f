"""Fine-tuning throughput of the `paper` preset: VGG13 at 112 px, bf16, on a synthetic catalog
of Polyvore's size whose decoded images stay resident on the GPU as uint8.

It runs the training job's own step (model/train.py: TripletForward + step_losses, the
device-side augmentation of model/finetune.py, Adam over head and backbone), so the figure is
the real loop's, minus data loading, which is a gather from GPU memory here as in training.
Reports triplets/s, images/s (3 per triplet), peak GPU memory, FLOPs per step counted by
torch's FlopCounterMode, and the share of the GPU's peak bf16 throughput they make.

    bash bench/gpu_train.sh            # on a CUDA machine: the issue's configuration
    python -m bench.gpu_train --device cpu --images 256 --steps 2 --warmup 1 --batch 8 \
        --precision fp32               # the same code on a CPU, as the tests run it

VGG13 starts from random weights here: the speed does not depend on their values, and the
benchmark must run on a machine that cannot download torchvision's ImageNet weights.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from functools import partial

import torch
from torch.utils.flop_counter import FlopCounterMode

from model.config import load_config
from model.distributed import Dist
from model.finetune import FeatureSource
from model.net import SATHead
from model.train import TripletForward, _autocast, build_encoder, resolve_precision, step_losses

N_TYPES = 11  # Polyvore Outfits' semantic categories
# NVIDIA's data sheet figure for H100/H200 SXM dense bf16 tensor-core throughput.
H200_PEAK_BF16_TFLOPS = 989.0


def synthetic_triplets(n_items: int, n_triplets: int, types: torch.Tensor, seed: int):
    """Anchor, positive and a negative of the positive's type, and an outfit id per triplet."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(0, n_items, (n_triplets,), generator=g)
    p = torch.randint(0, n_items, (n_triplets,), generator=g)
    order = torch.argsort(types)  # rows grouped by type: a negative is drawn inside p's group
    counts = torch.bincount(types, minlength=N_TYPES)
    starts = torch.cumsum(counts, 0) - counts
    tp = types[p]
    offset = (torch.rand(n_triplets, generator=g) * counts[tp]).long()
    n = order[starts[tp] + offset]
    outfit = torch.randint(0, max(1, n_items // 5), (n_triplets,), generator=g)
    return a, p, n, outfit


def run(args: argparse.Namespace) -> dict:
    device = torch.device(args.device)
    torch.manual_seed(0)
    config = load_config(None, [f"train.batch_size={args.batch}",
                                f"model.image_size={args.image_size}",
                                f"train.precision={args.precision}",
                                f"model.backbone={args.backbone}"], preset="paper")
    size = config.model.image_size
    # decoded, letterboxed catalog images as training keeps them: uint8, resident on the device
    pixels = torch.randint(0, 256, (args.images, size, size, 3), dtype=torch.uint8,
                           device=device)
    types = torch.randint(0, N_TYPES, (args.images,))
    encoder, trainable = build_encoder(config, device, pretrained=False)
    if args.compile:
        encoder.backbone = torch.compile(encoder.backbone)
    feature_dim = encoder.spec.feature_dim
    head = SATHead(config.model, feature_dim, N_TYPES).to(device)
    # only the device and the row count of `features` are read when fine-tuning
    source = FeatureSource(torch.empty(args.images, 0, device=device), pixels=pixels)
    autocast = partial(_autocast, device, resolve_precision(config.train.precision, device))
    step_module = TripletForward(head, source, encoder, autocast).train()
    optimizer = torch.optim.Adam(
        [{"params": list(head.parameters())}, {"params": trainable}],
        lr=config.train.learning_rate)
    steps = args.warmup + args.steps
    a, p, n, o = synthetic_triplets(args.images, steps * args.batch, types, seed=0)
    types_dev = types.to(device)
    n_outfits = int(o.max()) + 1
    difficulty = torch.zeros(n_outfits)
    seen = torch.zeros(n_outfits, dtype=torch.bool)
    single = Dist()

    def step(i: int) -> None:
        sl = slice(i * args.batch, (i + 1) * args.batch)
        parts = step_losses(step_module, head, types_dev, a[sl], p[sl], n[sl], o[sl],
                            difficulty, seen, config, single)
        optimizer.zero_grad(set_to_none=True)
        parts["loss"].backward()
        optimizer.step()

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    with FlopCounterMode(display=False) as counter:
        step(0)  # one step counted; it doubles as the first warm-up step
    flops_per_step = counter.get_total_flops()
    for i in range(1, args.warmup):
        step(i)
    sync()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(args.warmup, steps):
        started = time.perf_counter()
        step(i)
        sync()
        times.append(time.perf_counter() - started)
    seconds = sum(times)
    median = sorted(times)[len(times) // 2]
    achieved = flops_per_step * len(times) / seconds
    result = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else
        platform.processor() or "cpu",
        "backbone": config.model.backbone, "image_size": size, "batch": args.batch,
        "precision": config.train.precision, "compile": args.compile,
        "images_resident": args.images, "images_resident_bytes": pixels.numel(),
        "steps": len(times), "median_step_ms": round(median * 1e3, 2),
        "triplets_per_s": round(args.batch / median, 1),
        "images_per_s": round(3 * args.batch / median, 1),
        "flops_per_step": flops_per_step,
        "achieved_tflops": round(achieved / 1e12, 2),
        "torch": torch.__version__,
    }
    if device.type == "cuda":
        result["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
        result["share_of_peak_bf16"] = round(achieved / (args.peak_tflops * 1e12), 4)
        result["peak_bf16_tflops_assumed"] = args.peak_tflops
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--images", type=int, default=250_000)
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--backbone", default="vgg13")
    parser.add_argument("--precision", default="bf16", choices=["bf16", "fp32", "auto"])
    parser.add_argument("--compile", action="store_true", help="torch.compile the backbone")
    parser.add_argument("--peak-tflops", type=float, default=H200_PEAK_BF16_TFLOPS)
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main()
