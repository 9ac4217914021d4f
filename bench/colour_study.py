"""Where colour comes from in the `offline` preset: colour histograms beside frozen
EfficientNet-Lite0 features, a fine-tuned last stage, both, or neither; several seeds.

    python -m bench.colour_study --data DIR --seeds 0 1 2 --docs docs/benchmarks.md

Every variant trains with the same budget (epochs, triplets per epoch, image size) so that
only where colour comes from differs; each run is evaluated on the test split.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.docs import machine, replace_section, today, uptime
from model.ablation import mean_sd
from model.config import load_config
from model.evaluate import evaluate_run
from model.train import train

HEADING = "## Colour: histograms beside frozen features, or a fine-tuned last stage (issue 3)"
VARIANTS = {
    "frozen": ["model.color_features=false"],
    "frozen + colour histogram": ["model.color_features=true"],
    "last stage tuned": ["model.color_features=false", "model.finetune=last"],
    "last stage tuned + colour histogram": ["model.color_features=true", "model.finetune=last"],
}
METRICS = ["fitb_accuracy", "compatibility_auc", "hard_fitb", "recall@10"]


def run_variant(data: Path, split: str, out: Path, name: str, seed: int, budget: list[str],
                cache: Path | None) -> dict:
    config = load_config(None, [*budget, *VARIANTS[name], f"train.seed={seed}"],
                         preset="offline")
    started = time.perf_counter()
    train(data, split, out, config, resume=True, cache_dir=cache, progress=False)
    seconds = time.perf_counter() - started
    m = evaluate_run(out, data, split, "test", cache_dir=cache)
    return {"variant": name, "seed": seed, "train_seconds": round(seconds, 1),
            "fitb_accuracy": m["fitb_accuracy"], "compatibility_auc": m["compatibility_auc"],
            "hard_fitb": m["hard_fitb"]["accuracy"],
            "recall@10": m["recall@10"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--split", default="nondisjoint")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--triplets", type=int, default=8192, help="triplets per epoch")
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--backbone-lr", type=float, default=1e-4)
    parser.add_argument("--out", type=Path, help="run folders (default: a temporary folder)")
    parser.add_argument("--cache", type=Path, help="feature cache (default: the user's)")
    parser.add_argument("--docs", type=Path)
    args = parser.parse_args()
    budget = [f"train.epochs={args.epochs}", f"train.triplets_per_epoch={args.triplets}",
              f"model.image_size={args.image_size}", "train.batch_size=128",
              f"train.backbone_learning_rate={args.backbone_lr}"]
    before = uptime()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for seed in args.seeds:
            for name in args.variants:
                folder = root / f"{name.replace(' ', '').replace('+', '_')}-seed{seed}"
                rows.append(run_variant(args.data, args.split, folder, name, seed, budget,
                                        args.cache))
                print(json.dumps(rows[-1]), flush=True)
    after = uptime()
    lines = ["| variant | " + " | ".join(METRICS) + " | train s (median) | seeds |",
             "|---|" + "---|" * (len(METRICS) + 2)]
    for name in args.variants:
        sel = [r for r in rows if r["variant"] == name]
        times = sorted(r["train_seconds"] for r in sel)
        lines.append(f"| {name} | " + " | ".join(mean_sd([r[m] for r in sel]) for m in METRICS)
                     + f" | {times[len(times) // 2]:.0f} | {len(sel)} |")
    table = "\n".join(lines)
    print(table)
    if args.docs:
        seeds = " ".join(map(str, args.seeds))
        replace_section(args.docs, HEADING, f"""{HEADING}

```bash
python -m bench.colour_study --data DIR --seeds {seeds} --epochs {args.epochs} \\
    --triplets {args.triplets} --image-size {args.image_size} --docs docs/benchmarks.md
```

The sample catalog (`lookbook sample --out DIR`, seed 0), {args.split} split, test FITB
questions; mean ± standard deviation over training seeds {seeds}. Every variant: the
`offline` preset (EfficientNet-Lite0) at {args.image_size} px, {args.epochs} epochs of
{args.triplets} triplets, batch 128; a tuned last stage trains at lr {args.backbone_lr}
beside the head's 1e-3. Hard FITB is measured against the look-alike baseline in the frozen
backbone's feature space (with the histogram when the variant has it). {machine()};
{today()}. `uptime` before: `{before}`; after: `{after}`.

{table}
""")


if __name__ == "__main__":
    main()
