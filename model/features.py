"""Frozen backbone features of catalog images, with colour histograms appended, and an
on-disk cache so that a training run or an index build decodes and embeds each image once."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from model.backbones import Preprocess, create_backbone, get_spec, preprocess, weights_identity
from model.color import HISTOGRAM_DIM, color_histogram
from model.io import atomic_save_numpy, atomic_write_text

# Bump when the layout or the computation of cached features changes.
CACHE_FORMAT = 1
CPU_FORWARD_CHUNK = 16


class FeatureError(Exception):
    """An item's image is missing or cannot be decoded."""


def load_image(path: Path) -> Image.Image:
    """Open and fully decode an image; item images are named `<item_id>.<ext>`."""
    try:
        image = Image.open(path)
        image.load()  # decode now, so a truncated file fails here, with its name
    except FileNotFoundError:
        raise FeatureError(f"image of item {path.stem!r} does not exist: {path}") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise FeatureError(
            f"image of item {path.stem!r} cannot be decoded: {path} ({error}); "
            "replace the file or drop the item"
        ) from error
    return image


def feature_dim(backbone: str, color: bool) -> int:
    return get_spec(backbone).feature_dim + (HISTOGRAM_DIM if color else 0)


def available_cpus() -> int:
    """CPUs this process may use: its affinity set, capped by a cgroup v2 CPU quota (a
    container sees the host's cores in os.cpu_count but is throttled to its quota)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cpus = cpus or 1
    with contextlib.suppress(OSError, ValueError):
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    return cpus


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _ImageFiles(Dataset[tuple[torch.Tensor, torch.Tensor] | FeatureError]):
    def __init__(self, paths: Sequence[Path], transform: Preprocess, color: bool) -> None:
        self.paths = list(paths)
        self.transform = transform
        self.color = color

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor] | FeatureError:
        try:
            image = load_image(self.paths[i])
        except FeatureError as error:
            # Returned, not raised: the main process raises it, so the message is not wrapped
            # in a worker traceback, and the workers shut down at once (an iterator kept alive
            # by a worker's exception stalls 5 s in its shutdown).
            return error
        # the histogram reads the original pixels: resampling would blur colours together
        hist = color_histogram(image) if self.color else np.empty(0, dtype=np.float32)
        return self.transform(image), torch.from_numpy(hist)


def _collate(
    samples: list[tuple[torch.Tensor, torch.Tensor] | FeatureError],
) -> tuple[torch.Tensor, torch.Tensor] | FeatureError:
    pixels, hists = [], []
    for sample in samples:
        if isinstance(sample, FeatureError):
            return sample
        pixels.append(sample[0])
        hists.append(sample[1])
    return torch.stack(pixels), torch.stack(hists)


def extract_features(
    image_paths: Sequence[Path],
    backbone: str,
    image_size: int,
    *,
    batch_size: int = 64,
    num_workers: int = 0,
    color: bool = True,
    weights_path: Path | None = None,
    num_threads: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
) -> np.ndarray:
    """Pooled backbone features of each image, then (if `color`) its 64-d colour histogram.

    Returns float32 (N, feature_dim(backbone, color)), rows in the order of `image_paths`.
    `num_threads` (torch's intra-op threads) defaults to the CPUs available; `progress` to
    whether stderr is a terminal. Raises FeatureError naming the item and file of the first
    missing or broken image.
    """
    paths = [Path(p) for p in image_paths]
    target = torch.device(device)
    model, spec = create_backbone(backbone, weights_path=weights_path)
    # oneDNN's depthwise and 1x1 convolutions run about 1.5-2x faster on CPU in NHWC
    model = model.to(target, memory_format=torch.channels_last)
    features = np.empty((len(paths), feature_dim(backbone, color)), dtype=np.float32)
    if not paths:
        return features
    loader = DataLoader(
        _ImageFiles(paths, preprocess(spec, image_size), color),
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=_collate,
        pin_memory=target.type == "cuda",
    )
    # A whole batch's activations (~300 MB for 64 images at 224 px) overflow the CPU caches:
    # at 224 px the forward ran about 1.3x faster 16 images at a time. A GPU wants it whole.
    chunk = CPU_FORWARD_CHUNK if target.type == "cpu" else batch_size
    show = sys.stderr.isatty() if progress is None else progress
    start = 0
    bar = tqdm(total=len(paths), unit="img", desc=f"{backbone}@{image_size}", disable=not show)
    with _torch_threads(num_threads or available_cpus()), torch.inference_mode(), bar:
        for batch in loader:
            if isinstance(batch, FeatureError):
                raise batch
            pixels, hists = batch
            for part in pixels.split(chunk):
                end = start + len(part)
                part = part.to(target, non_blocking=True, memory_format=torch.channels_last)
                features[start:end, : spec.feature_dim] = model(part).float().cpu().numpy()
                start = end
            features[start - len(pixels) : start, spec.feature_dim :] = hists.numpy()
            bar.update(len(pixels))
    return features


def image_stats(root: Path, item_ids: Sequence[str]) -> list[tuple[str, int, int]]:
    stats = []
    for item_id in item_ids:
        path = root / "images" / f"{item_id}.jpg"
        try:
            st = path.stat()
        except FileNotFoundError:
            raise FeatureError(f"image of item {item_id!r} does not exist: {path}") from None
        stats.append((item_id, st.st_size, st.st_mtime_ns))
    return stats


def cached_features(
    root: Path,
    item_ids: Sequence[str],
    *,
    backbone: str,
    image_size: int,
    color: bool,
    cache_dir: Path,
    weights_path: Path | None = None,
    batch_size: int = 64,
    num_workers: int = 0,
    num_threads: int | None = None,
    device: str | torch.device = "cpu",
    progress: bool | None = None,
) -> np.ndarray:
    """`extract_features` of `root/images/<item_id>.jpg`, rows in `item_ids` order, stored in
    `cache_dir` and reused while the backbone, its weights, the settings, the id list and
    every image's size and mtime are unchanged."""
    root, cache_dir = Path(root), Path(cache_dir)
    stats = image_stats(root, item_ids)
    settings = {
        "format": CACHE_FORMAT,
        "backbone": backbone,
        "image_size": image_size,
        "color": color,
        "weights": weights_identity(backbone, weights_path=weights_path),
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for item_id, size, mtime_ns in stats:
        digest.update(f"{item_id}\t{size}\t{mtime_ns}\n".encode())
    key = digest.hexdigest()
    stem = f"{backbone}-{image_size}{'-color' if color else ''}-{key[:16]}"
    array_path, sidecar_path = cache_dir / f"{stem}.npy", cache_dir / f"{stem}.json"
    shape = (len(stats), feature_dim(backbone, color))

    cached = _load_cached(array_path, sidecar_path, key, shape)
    if cached is not None:
        return cached

    features = extract_features(
        [root / "images" / f"{item_id}.jpg" for item_id in item_ids],
        backbone,
        image_size,
        batch_size=batch_size,
        num_workers=num_workers,
        color=color,
        weights_path=weights_path,
        num_threads=num_threads,
        device=device,
        progress=progress,
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    # array first: a sidecar only ever describes a complete array
    atomic_save_numpy(array_path, features)
    cnn_dim = get_spec(backbone).feature_dim
    sidecar = {
        **settings,
        "key": key,
        "count": shape[0],
        "dim": shape[1],
        "dtype": "float32",
        "columns": {"backbone": [0, cnn_dim], "color_histogram": [cnn_dim, shape[1]]}
        if color
        else {"backbone": [0, cnn_dim]},
        "root": str(root.resolve()),
        "item_ids_sha256": hashlib.sha256("\n".join(item_ids).encode()).hexdigest(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    atomic_write_text(sidecar_path, json.dumps(sidecar, indent=2) + "\n")
    return features


def _load_cached(
    array_path: Path, sidecar_path: Path, key: str, shape: tuple[int, int]
) -> np.ndarray | None:
    try:
        sidecar = json.loads(sidecar_path.read_text())
        if sidecar.get("key") != key:
            return None
        features = np.load(array_path, allow_pickle=False)
    except (OSError, ValueError):  # absent, or damaged outside our atomic writes: recompute
        return None
    if features.shape != shape or features.dtype != np.float32:
        return None
    return features
