"""Feature-extraction throughput (images/s) of `model.features.extract_features`.

Writes synthetic 300x300 product-like JPEGs (a coloured blob with texture on white, the size
of Polyvore's images) to a temp dir and prints one JSON line per image size: the median of
`--runs` timed passes over all images (model load included, as a caller pays it), after
one warm-up pass.

    python -m bench.features --sizes 112 160 224
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from model.features import available_cpus, extract_features


def write_images(directory: Path, count: int, seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(count):
        image = Image.new("RGB", (300, 300), (255, 255, 255))
        x0, y0 = rng.integers(10, 90, size=2)
        x1, y1 = rng.integers(210, 290, size=2)
        colour = tuple(int(c) for c in rng.integers(0, 220, size=3))
        ImageDraw.Draw(image).ellipse((int(x0), int(y0), int(x1), int(y1)), fill=colour)
        # texture, so JPEG decoding costs what a real photo's would
        noise = rng.normal(0, 12, size=(300, 300, 3))
        pixels = np.clip(np.asarray(image, dtype=np.float64) + noise, 0, 255).astype(np.uint8)
        path = directory / f"{i}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="efficientnet_lite0")
    parser.add_argument("--sizes", type=int, nargs="+", default=[112, 160, 224])
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None, help="default: available CPUs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-color", action="store_true")
    args = parser.parse_args()

    threads = args.threads or available_cpus()
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        paths = write_images(Path(tmp), args.images)
        for size in args.sizes:
            kwargs = dict(
                backbone=args.backbone,
                image_size=size,
                batch_size=args.batch_size,
                num_workers=args.num_workers,
                color=not args.no_color,
                num_threads=threads,
                progress=False,
            )
            extract_features(paths[: args.batch_size], **kwargs)  # warm-up: oneDNN plans
            rates = []
            for _ in range(args.runs):
                start = time.perf_counter()
                extract_features(paths, **kwargs)
                rates.append(len(paths) / (time.perf_counter() - start))
            record = {
                "backbone": args.backbone,
                "image_size": size,
                "color": not args.no_color,
                "batch_size": args.batch_size,
                "num_workers": args.num_workers,
                "threads": threads,
                "images": len(paths),
                "images_per_s": round(statistics.median(rates), 1),
                "runs": [round(r, 1) for r in rates],
                # other work on the machine skews the figures; say how busy it was
                "loadavg_1m": round(os.getloadavg()[0], 2),
                # spinning OpenMP threads collapse when other processes share the cores
                "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
                "torch": torch.__version__,
            }
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
