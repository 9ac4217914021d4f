"""Decoded catalog images, letterboxed to the training size, as one uint8 array on disk.

Fine-tuning reads every image many times. Decoding JPEGs each step would starve a GPU, so
each image is decoded and resized once into an (N, S, S, 3) uint8 array (9.4 GB for
Polyvore's ~250k items at 112 px), cached like the backbone features and memory-mapped when
read back; the trainer moves it to the GPU whole and augments there (model/finetune.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from model.backbones import letterbox
from model.features import FeatureError, available_cpus, image_stats, load_image
from model.io import atomic_write_text

CACHE_FORMAT = 1


class _Letterboxed(Dataset[np.ndarray | FeatureError]):
    def __init__(self, paths: Sequence[Path], size: int) -> None:
        self.paths, self.size = list(paths), size

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> np.ndarray | FeatureError:
        try:
            image = load_image(self.paths[i])
        except FeatureError as error:
            return error  # raised by the main process, with the item's name (features.py)
        return np.asarray(letterbox(image, self.size), dtype=np.uint8)


def _collate(samples: list[np.ndarray | FeatureError]) -> np.ndarray | FeatureError:
    for sample in samples:
        if isinstance(sample, FeatureError):
            return sample
    return np.stack(samples)


def _key(root: Path, item_ids: Sequence[str], size: int) -> str:
    digest = hashlib.sha256(json.dumps({"format": CACHE_FORMAT, "size": size}).encode())
    # keyed like the feature cache: a replaced image changes its size or mtime
    for item_id, file_size, mtime_ns in image_stats(root, item_ids):
        digest.update(f"{item_id}\t{file_size}\t{mtime_ns}\n".encode())
    return digest.hexdigest()


def cached_pixels(
    root: Path,
    item_ids: Sequence[str],
    size: int,
    cache_dir: Path,
    *,
    workers: int | None = None,
    progress: bool | None = None,
) -> np.ndarray:
    """(N, size, size, 3) uint8 RGB of `root/images/<item_id>.jpg`, rows in `item_ids` order,
    letterboxed on white exactly as the backbone's preprocessing does; memory-mapped from the
    cache while the ids and every image's size and mtime are unchanged."""
    root, cache_dir = Path(root), Path(cache_dir)
    key = _key(root, item_ids, size)
    stem = f"pixels-{size}-{key[:16]}"
    array_path, sidecar_path = cache_dir / f"{stem}.npy", cache_dir / f"{stem}.json"
    shape = (len(item_ids), size, size, 3)
    try:
        if json.loads(sidecar_path.read_text()).get("key") == key:
            pixels = np.load(array_path, mmap_mode="r", allow_pickle=False)
            if pixels.shape == shape and pixels.dtype == np.uint8:
                return pixels
    except (OSError, ValueError):
        pass  # absent or damaged: decode again

    cache_dir.mkdir(parents=True, exist_ok=True)
    # Filled in place through a memory map (the array can exceed RAM), then renamed: a
    # reader never sees a half-written file under the final name.
    tmp = cache_dir / f".{stem}.{os.getpid()}.tmp.npy"
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
    workers = max(0, available_cpus() - 1) if workers is None else workers
    loader = DataLoader(
        _Letterboxed([root / "images" / f"{i}.jpg" for i in item_ids], size),
        batch_size=256, num_workers=workers, collate_fn=_collate,
    )
    show = sys.stderr.isatty() if progress is None else progress
    start = 0
    try:
        with tqdm(total=len(item_ids), unit="img", desc=f"decode@{size}", disable=not show) as bar:
            for batch in loader:
                if isinstance(batch, FeatureError):
                    raise batch
                out[start:start + len(batch)] = batch
                start += len(batch)
                bar.update(len(batch))
        out.flush()
        del out
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, array_path)
    finally:
        tmp.unlink(missing_ok=True)
    atomic_write_text(sidecar_path, json.dumps({"key": key, "shape": list(shape),
                                                "root": str(root.resolve())}) + "\n")
    return np.load(array_path, mmap_mode="r", allow_pickle=False)


def pixel_rows(pixels: np.ndarray | torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """The uint8 images of `rows` as a (B, S, S, 3) tensor, from a memory map or a tensor
    already resident on the device."""
    if isinstance(pixels, torch.Tensor):
        return pixels[rows.to(pixels.device)]
    return torch.from_numpy(np.ascontiguousarray(pixels[rows.cpu().numpy()]))
