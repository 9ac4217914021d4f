"""Feature-extraction throughput (images/s) of `model.features.extract_features`, per backbone.

The images are real JPEGs of the sample catalog (`model.sample.write_sample`, drawn at
`--sample-px` = 300 px, the size of Polyvore's photos). Each timed call is the whole
pipeline as training and index building run it: model load, JPEG decode, letterbox, colour
histogram, forward. Per backbone and input size: one warm-up call on one forward chunk, then
the median of `--runs` calls over `--images` images. Timed apart on the same images: model
load (`create_backbone`), the CPU preprocessing of one image (decode + letterbox + normalise
+ histogram, the DataLoader's work) and the forward per image, in the chunks
`extract_features` uses on CPU.

VGG13 and ResNet18 have no offline ImageNet weights: a random-init state dict of the same
architecture is written to the temp folder and passed as `weights_path`, which goes through
the same code path; the speed of a forward does not depend on the weights' values.

    OMP_WAIT_POLICY=PASSIVE flock /tmp/lookbook-bench.lock \
        python -m bench.features --docs docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torchvision

from bench.docs import replace_section, run_header, uptime
from bench.runs import spread, timed_calls
from model.backbones import create_backbone, preprocess
from model.color import color_histogram
from model.features import CPU_FORWARD_CHUNK, _ImageFiles, extract_features, load_image
from model.io import atomic_torch_save
from model.sample import SampleConfig, write_sample

SECTION = "## Feature extraction (issue 3)"
LITE = ("efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2")
DEFAULT_CONFIGS = [
    "efficientnet_lite0@224", "efficientnet_lite0@160", "efficientnet_lite0@112",
    "efficientnet_lite1@240", "efficientnet_lite1@160", "efficientnet_lite1@112",
    "efficientnet_lite2@260", "efficientnet_lite2@160", "efficientnet_lite2@112",
    "resnet18@224", "resnet18@112", "vgg13@224", "vgg13@112",
]
# the default training config, its native size, and the cheapest forward, where the
# decoding's share (what a worker process could overlap) is largest
DEFAULT_WORKER_TRIALS = ["efficientnet_lite0@160", "efficientnet_lite0@224", "resnet18@112"]
POLYVORE_IMAGES = 365_054  # images of the Polyvore Outfits release, both splits' catalog


@dataclass(frozen=True)
class Setting:
    backbone: str
    size: int

    @classmethod
    def parse(cls, text: str) -> Setting:
        name, sep, size = text.partition("@")
        if not sep or not size.isdigit():
            raise argparse.ArgumentTypeError(f"{text!r}: expected BACKBONE@PIXELS")
        return cls(name, int(size))

    def __str__(self) -> str:
        return f"{self.backbone}@{self.size}"


def random_weights(name: str, directory: Path) -> Path:
    """A state dict of torchvision's `name` with its random init, for `weights_path`."""
    path = directory / f"{name}-random-init.pth"
    if not path.exists():
        atomic_torch_save(getattr(torchvision.models, name)(weights=None).state_dict(), path)
    return path


def stage_split(setting: Setting, paths: list[Path], weights: Path | None, runs: int) -> dict:
    """Model load, one image's preprocessing and one image's forward, each a median."""
    load = timed_calls(lambda: create_backbone(setting.backbone, weights_path=weights), runs)
    model, spec = create_backbone(setting.backbone, weights_path=weights)
    model = model.to(memory_format=torch.channels_last)
    dataset = _ImageFiles(paths, preprocess(spec, setting.size), color=True)
    prep, hist, pixels = [], [], []
    for i, path in enumerate(paths):
        start = time.perf_counter()
        sample = dataset[i]
        prep.append(time.perf_counter() - start)
        pixels.append(sample[0])
        image = load_image(path)
        start = time.perf_counter()
        color_histogram(image)
        hist.append(time.perf_counter() - start)
    chunks = torch.stack(pixels).split(CPU_FORWARD_CHUNK)
    forward = []
    with torch.inference_mode():
        model(chunks[0].contiguous(memory_format=torch.channels_last))  # oneDNN plans
        for chunk in chunks:
            if len(chunk) != CPU_FORWARD_CHUNK:
                continue  # a short last chunk is another shape: new plans, not steady state
            batch = chunk.contiguous(memory_format=torch.channels_last)
            start = time.perf_counter()
            model(batch)
            forward.append((time.perf_counter() - start) / len(chunk))
    return {"load_s": statistics.median(load),
            "preprocess_ms": 1e3 * statistics.median(prep),
            "histogram_ms": 1e3 * statistics.median(hist),
            "forward_ms": 1e3 * statistics.median(forward)}


def measure(jobs: list[tuple[Setting, int]], paths: list[Path], weights: dict, args
            ) -> dict[tuple[Setting, int], dict]:
    """Whole-pipeline images/s of each (setting, DataLoader workers), the runs taken in turn
    (round robin) so that a change of the machine's load hits every job alike."""
    def call(job: tuple[Setting, int], n_images: int) -> None:
        setting, num_workers = job
        extract_features(paths[:n_images], setting.backbone, setting.size,
                         batch_size=args.batch_size, num_workers=num_workers, color=True,
                         weights_path=weights[setting], num_threads=args.threads,
                         progress=False)

    for job in jobs:
        call(job, CPU_FORWARD_CHUNK)  # warm-up: oneDNN plans, page cache
    seconds: dict[tuple[Setting, int], list[float]] = {job: [] for job in jobs}
    for run in range(args.runs):
        for job in jobs:
            seconds[job] += timed_calls(lambda job=job: call(job, len(paths)), 1)
        print(json.dumps({"round": run + 1, "loadavg": uptime().rsplit(": ", 1)[-1]}),
              flush=True)
    return {(setting, w): {
        "backbone": setting.backbone, "image_size": setting.size, "num_workers": w,
        "weights": "ImageNet" if weights[setting] is None else "random init",
        "images": len(paths), "threads": args.threads, "batch_size": args.batch_size,
        "call_s": statistics.median(seconds[setting, w]),
        "images_per_s": len(paths) / statistics.median(seconds[setting, w]),
        "runs_images_per_s": [len(paths) / t for t in seconds[setting, w]],
    } for setting, w in jobs}


def markdown(rows: list[dict], trials: list[tuple[dict, dict]], meta: dict, args) -> str:
    lines = [
        SECTION, "",
        "```bash", meta["command"], "```", "",
        f"Machine: {meta['cpu']}, 2 cores shared with other jobs, torch {torch.__version__}, "
        f"{args.threads} torch threads, OMP_WAIT_POLICY={meta['omp']}. `uptime` before: "
        f"`{meta['uptime_before']}`; after: `{meta['uptime_after']}`. Date {meta['date']}.", "",
        f"Images: {args.images} JPEGs of the sample catalog (seed {args.seed}) drawn at "
        f"{args.sample_px} px, the size of Polyvore's photos. One call = "
        "`extract_features` on all of them with colour histograms, batch "
        f"{args.batch_size}, DataLoader workers 0: model load, decode, letterbox, histogram, "
        f"forward in chunks of {CPU_FORWARD_CHUNK}. images/s = median of {args.runs} calls "
        "after a warm-up call (the runs' own figures beside it); the calls of all rows, both "
        "tables, are taken in turn (round robin), so a change of load hits each alike. "
        "Timed apart: load = "
        "`create_backbone`; preprocess = one image through the DataLoader's dataset (decode, "
        "letterbox, normalise, histogram), of which histogram = `color_histogram` alone; "
        "forward = one image's share of a chunk. *Without load* = images / (median call "
        "time - load time), the rate a catalog-sized call approaches. Polyvore hours = "
        "365,054 images at that rate. VGG13 and ResNet18 ran "
        "with random-init weights passed as a state-dict file (torchvision's ImageNet "
        "weights need a download, absent here); the forward costs the same.", "",
        "| backbone | weights | input px | images/s | runs | load s | images/s without load "
        "| preprocess ms/img | histogram ms/img | forward ms/img | Polyvore hours |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        runs = ", ".join(f"{x:.1f}" for x in r["runs_images_per_s"])
        steady = r["images"] / (r["call_s"] - r["load_s"])
        lines.append(
            f"| {r['backbone']} | {r['weights']} | {r['image_size']} | "
            f"{r['images_per_s']:.1f} | {runs} | {r['load_s']:.2f} | {steady:.1f} | "
            f"{r['preprocess_ms']:.1f} | {r['histogram_ms']:.1f} | {r['forward_ms']:.1f} | "
            f"{POLYVORE_IMAGES / steady / 3600:.1f} |")
    lines += ["", "The runs of one row spread by up to "
              f"{max(spread(r['runs_images_per_s']) for r in rows):.0%} of its median "
              "(max - min), the median row by "
              f"{statistics.median(spread(r['runs_images_per_s']) for r in rows):.0%}: "
              "closer figures are not told apart here."]
    default = next((r for r in rows if (r["backbone"], r["image_size"])
                    == ("efficientnet_lite0", 160)), None)
    if default is not None:  # the `offline` preset's setting
        prep, hist, fwd = (default[k] for k in ("preprocess_ms", "histogram_ms", "forward_ms"))
        lines += ["", f"At the `offline` preset's setting (EfficientNet-Lite0, 160 px) the "
                  f"preprocessing is {prep / (prep + fwd):.0%} of preprocessing + forward per "
                  f"image, and the colour histogram {hist / prep:.0%} of the preprocessing "
                  f"({hist:.1f} of {prep:.1f} ms)."]
    if trials:
        lines += [
            "", "DataLoader workers, same calls (0: the main "
            "process decodes between forwards; 1: one worker process decodes beside them):", "",
            "| backbone | input px | workers 0 images/s | workers 1 images/s | 1 vs 0 |",
            "|---|---:|---:|---:|---:|",
        ]
        for zero, one in trials:
            lines.append(
                f"| {zero['backbone']} | {zero['image_size']} | {zero['images_per_s']:.1f} | "
                f"{one['images_per_s']:.1f} | "
                f"{one['images_per_s'] / zero['images_per_s']:.2f}x |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=Setting.parse, nargs="+",
                        default=[Setting.parse(c) for c in DEFAULT_CONFIGS],
                        help="BACKBONE@PIXELS ...")
    parser.add_argument("--worker-trials", type=Setting.parse, nargs="*",
                        default=[Setting.parse(c) for c in DEFAULT_WORKER_TRIALS],
                        help="BACKBONE@PIXELS also timed with 1 DataLoader worker")
    parser.add_argument("--images", type=int, default=96)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sample-px", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", type=Path, default=None,
                        help="write the results as this benchmark's section of that file")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    meta = run_header("bench.features")
    with tempfile.TemporaryDirectory(prefix="bench-features-") as tmp:
        data = Path(tmp) / "data"
        write_sample(data, seed=args.seed, config=SampleConfig(
            n_items=max(args.images, 200), n_outfits=100, image_size=args.sample_px))
        paths = sorted((data / "images").glob("*.jpg"))[: args.images]
        settings = list(dict.fromkeys([*args.configs, *args.worker_trials]))
        weights = {setting: None if setting.backbone in LITE
                   else random_weights(setting.backbone, Path(tmp)) for setting in settings}
        jobs = [(setting, w) for setting in settings
                for w in ((0, 1) if setting in args.worker_trials else (0,))]
        results = measure(jobs, paths, weights, args)
        for setting in settings:
            split = stage_split(setting, paths, weights[setting], args.runs)
            for w in (0, 1):
                if (setting, w) in results:
                    results[setting, w].update(split)
                    print(json.dumps(results[setting, w]), flush=True)
        rows = [results[setting, 0] for setting in args.configs]
        trials = [(results[s, 0], results[s, 1]) for s in args.worker_trials]
    meta["uptime_after"] = uptime()
    section = markdown(rows, trials, meta, args)
    print(section)
    if args.docs:
        replace_section(args.docs, SECTION, section)


if __name__ == "__main__":
    main()
