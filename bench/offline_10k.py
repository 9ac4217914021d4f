"""A full `offline` training run on a 10,000-image sample catalog, end to end on this
machine, with a cold feature cache: generate, extract features, train, evaluate.

    python bench/offline_10k.py [--items 10000] [--outfits 6000]

Prints one JSON object with the time of each stage, images/s of feature extraction and
triplets/s of head training.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from model.catalog import catalog_features
from model.config import load_config
from model.data.polyvore import load_polyvore
from model.data.triplets import TripletSampler
from model.evaluate import evaluate_run
from model.sample import SampleConfig, write_sample
from model.train import train


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--outfits", type=int, default=6_000)
    args = parser.parse_args()
    config = load_config(None, [])
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        data, cache, run = Path(tmp) / "data", Path(tmp) / "cache", Path(tmp) / "run"
        t = time.perf_counter()
        write_sample(data, seed=0, config=SampleConfig(n_items=args.items,
                                                       n_outfits=args.outfits))
        times["generate_s"] = time.perf_counter() - t
        t = time.perf_counter()
        polyvore = load_polyvore(data, "nondisjoint")
        catalog = catalog_features(polyvore, config, cache)
        times["features_s"] = time.perf_counter() - t
        sampler = TripletSampler(polyvore.split.outfits["train"], catalog.item_index,
                                 catalog.item_types.numpy())
        t = time.perf_counter()
        result = train(data, "nondisjoint", run, config, cache_dir=cache, progress=False)
        times["train_s"] = time.perf_counter() - t
        t = time.perf_counter()
        metrics = evaluate_run(run, data, "nondisjoint", "test", cache_dir=cache)
        times["evaluate_s"] = time.perf_counter() - t
    total = sum(times.values())
    print(json.dumps({
        "items": len(catalog.item_ids),
        "train_outfits": len(polyvore.split.outfits["train"]),
        **{k: round(v, 1) for k, v in times.items()},
        "total_s": round(total, 1),
        "feature_images_per_s": round(len(catalog.item_ids) / times["features_s"], 1),
        "triplets_per_epoch": len(sampler),
        "epochs": config.train.epochs,
        # train_s includes one validation pass per epoch and the cache lookup
        "train_triplets_per_s": round(len(sampler) * config.train.epochs / times["train_s"]),
        "best_epoch": result.best_epoch,
        "test_fitb_accuracy": metrics["fitb_accuracy"],
        "test_compatibility_auc": metrics["compatibility_auc"],
        "test_hard_fitb": metrics["hard_fitb"]["accuracy"],
    }))


if __name__ == "__main__":
    main()
