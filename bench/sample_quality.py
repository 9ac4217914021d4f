"""FITB accuracy and compatibility AUC on the built-in sample catalog, over several seeds:
SAT, its lambda = 0 ablation, an untrained model and the colour-histogram baseline.

    python bench/sample_quality.py --data DIR [--seeds 0 1 2] [--splits nondisjoint disjoint]

Prints one JSON line per run, then a markdown table of mean and spread per method.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from model.ablation import mean_sd
from model.baselines import color_histogram_fitb
from model.catalog import catalog_features
from model.config import load_config
from model.data.polyvore import load_polyvore
from model.evaluate import evaluate_run, evaluate_tasks, task_arrays
from model.run import TrainedModel, untrained_model
from model.train import train


def untrained_metrics(data_root: Path, split: str, seed: int) -> dict:
    config = load_config(None, [f"train.seed={seed}"])
    data = load_polyvore(data_root, split)
    catalog = catalog_features(data, config)
    features = catalog.features
    head = untrained_model(config.model, features.shape[1], data.types, seed)
    row = catalog.item_index
    train_items = sorted({row[i] for o in data.split.outfits["train"] for i in o.item_ids})
    head.set_feature_statistics(features[train_items])
    trained = TrainedModel(config=config, types=data.types, head=head, data_split=split)
    scorer = trained.scorer(trained.embed(features), catalog.item_types)
    tasks = task_arrays(data, "test", row)
    return evaluate_tasks(scorer, tasks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--splits", nargs="+", default=["nondisjoint", "disjoint"])
    parser.add_argument("--set", action="append", default=[], help="extra config overrides")
    args = parser.parse_args()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for split in args.splits:
            base = color_histogram_fitb(args.data, split, "test")
            rows.append({"split": split, "method": "colour-histogram baseline", "seed": None,
                         "fitb_accuracy": base["fitb_accuracy"], "compatibility_auc": None})
            print(json.dumps(rows[-1]), flush=True)
            for seed in args.seeds:
                m = untrained_metrics(args.data, split, seed)
                rows.append({"split": split, "method": "untrained", "seed": seed,
                             "fitb_accuracy": m["fitb_accuracy"],
                             "compatibility_auc": m["compatibility_auc"]})
                print(json.dumps(rows[-1]), flush=True)
                for method, lam in (("SAT (lambda=1)", 1.0), ("triplet (lambda=0)", 0.0)):
                    run = Path(tmp) / f"{split}-{seed}-{lam}"
                    config = load_config(None, [f"train.seed={seed}", f"loss.sat_lambda={lam}",
                                                *args.set])
                    started = time.perf_counter()
                    train(args.data, split, run, config, progress=False)
                    seconds = time.perf_counter() - started
                    m = evaluate_run(run, args.data, split, "test")
                    rows.append({"split": split, "method": method, "seed": seed,
                                 "fitb_accuracy": m["fitb_accuracy"],
                                 "compatibility_auc": m["compatibility_auc"],
                                 "n_fitb": m["n_fitb"], "train_seconds": round(seconds, 1)})
                    print(json.dumps(rows[-1]), flush=True)
    print()
    print("| split | method | FITB accuracy | compatibility AUC | runs |")
    print("|---|---|---|---|---|")
    for split in args.splits:
        methods = dict.fromkeys(r["method"] for r in rows if r["split"] == split)
        for method in methods:
            sel = [r for r in rows if r["split"] == split and r["method"] == method]
            print(f"| {split} | {method} | {mean_sd([r['fitb_accuracy'] for r in sel])} | "
                  f"{mean_sd([r['compatibility_auc'] for r in sel])} | {len(sel)} |")


if __name__ == "__main__":
    main()
