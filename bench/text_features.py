"""Text-feature throughput (texts/s) of the two text encoders of `model.text`.

The texts are the sample catalog's item texts (`item_text`: titles) and, as a longer input,
its descriptions. For each encoder and text kind it prints one JSON line: the model load
(once), then the median of `--runs` timed `encode_texts` passes over all texts after one
warm-up pass, and the median time of a `cached_text_features` call that hits its cache.

    python -m bench.text_features --texts 2000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.runs import timed_calls
from model.data.types import Item
from model.features import available_cpus
from model.sample.catalog import build_catalog
from model.text import cached_text_features, create_text_encoder, encode_texts, item_text


def sample_texts(count: int, seed: int = 0) -> dict[str, list[str]]:
    items = build_catalog(count, 0.0, np.random.default_rng(seed))
    return {
        "title": [item_text(Item(i.item_id, i.semantic, title=i.title)) for i in items],
        "description": [i.description for i in items],
    }


def measure(name: str, kind: str, texts: list[str], args, cache_dir: Path) -> dict:
    start = time.perf_counter()
    encoder = create_text_encoder(name, dim=args.dim, num_threads=args.threads)
    encode_texts(encoder, texts[: args.batch_size], batch_size=args.batch_size)  # loads minilm
    load_s = time.perf_counter() - start
    encode_texts(encoder, texts, batch_size=args.batch_size)  # warm-up
    seconds = timed_calls(
        lambda: encode_texts(encoder, texts, batch_size=args.batch_size), args.runs)

    def cached() -> None:
        cached_text_features(texts, encoder=name, dim=args.dim, cache_dir=cache_dir,
                             batch_size=args.batch_size, num_threads=args.threads,
                             progress=False)

    cached()  # fills the cache
    hits = timed_calls(cached, args.runs)
    median = statistics.median(seconds)
    return {
        "encoder": name, "text": kind, "texts": len(texts), "dim": encoder.dim,
        "mean_words": round(statistics.mean(len(t.split()) for t in texts), 1),
        "threads": args.threads, "batch_size": args.batch_size, "runs": args.runs,
        "load_s": round(load_s, 2), "encode_s": round(median, 3),
        "texts_per_s": round(len(texts) / median, 1),
        "cache_hit_ms": round(1e3 * statistics.median(hits), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=["hashed", "minilm"])
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=512, help="the hashed encoder's dimension")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="default: available CPUs")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    args.threads = args.threads or available_cpus()

    texts = sample_texts(args.texts)
    with tempfile.TemporaryDirectory(prefix="bench-text-") as tmp:
        for name in args.encoders:
            for kind, kind_texts in texts.items():
                print(json.dumps(measure(name, kind, kind_texts, args, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
