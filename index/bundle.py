"""Arrays -> a serving bundle on disk, and the staging/swap that keeps every write atomic.

`write_bundle` takes embeddings already computed (by `index/build.py` from a trained run, or
synthetic ones in tests and benchmarks) and writes the files that `CatalogIndex.load` reads.
A bundle changes only by building the new version in a temporary sibling folder and renaming
it into place, under a lock, so readers never see a mix of two versions.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
import torch

from index.config import IndexConfig, Layout
from index.factory import (
    METRIC_NAME,
    full_factory,
    new_index,
    search_params_record,
    train,
)
from index.manifest import MANIFEST, Calibration, IndexEntry, Manifest, file_sha256
from index.vectors import item_vectors, vector_dim
from model.io import atomic_directory, atomic_save_numpy, atomic_write_text
from model.scoring import build_pair_table

SIDE_FILES = ("items.json", "embeddings.npy", "masks.npy", "removed.npy")
# Rows projected at once when computing stored vectors: bounds the temporaries to ~0.5 GB
CHUNK = 32_768


@dataclass(frozen=True)
class BundleModel:
    """What the bundle's vectors were computed with, besides the catalog itself."""

    model_hash: str
    split: str
    types: list[str]
    normalize_spaces: bool
    distance: str
    calibration: Calibration


def index_file(type_name: str) -> str:
    return f"index_{type_name}.faiss"


def type_vectors(layout: Layout, embeddings: np.ndarray, rows: np.ndarray, target_type: int,
                 masks: np.ndarray, normalize: bool) -> np.ndarray:
    """(len(rows), dim) float32 stored vectors of catalog rows for one target type."""
    pair_table = build_pair_table(len(_types_of_masks(masks)))
    masks_t = torch.from_numpy(np.ascontiguousarray(masks, dtype=np.float32))
    out = np.empty((len(rows), vector_dim(layout, pair_table.shape[0], masks.shape[1])),
                   dtype=np.float32)
    for start in range(0, len(rows), CHUNK):
        chunk = torch.from_numpy(np.ascontiguousarray(embeddings[rows[start:start + CHUNK]]))
        out[start:start + len(chunk)] = item_vectors(
            layout, chunk, target_type, masks_t, pair_table, normalize).numpy()
    return out


def _types_of_masks(masks: np.ndarray) -> range:
    # P = T(T+1)/2 masks, one per unordered type pair
    n_types = int((np.sqrt(8 * len(masks) + 1) - 1) / 2)
    if n_types * (n_types + 1) // 2 != len(masks):
        raise ValueError(f"{len(masks)} masks are not one per unordered pair of some type count")
    return range(n_types)


def build_type_index(embeddings: np.ndarray, rows: np.ndarray, target_type: int, *,
                     layout: Layout, masks: np.ndarray, normalize: bool,
                     config: IndexConfig, type_name: str = "") -> faiss.Index:
    """One target type's index over its catalog rows (ids = rows)."""
    n_types = len(_types_of_masks(masks))
    index = new_index(vector_dim(layout, n_types, masks.shape[1]), config)
    if not index.is_trained and len(rows):
        rng = np.random.default_rng(config.seed)
        sample = np.sort(rng.choice(rows, min(len(rows), config.train_size), replace=False))
        try:
            train(index, type_vectors(layout, embeddings, sample, target_type, masks, normalize))
        except (ValueError, RuntimeError) as exc:
            raise ValueError(f"index for type {type_name!r} ({len(rows)} items, factory "
                             f"{config.factory!r}): {exc}") from exc
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        vectors = type_vectors(layout, embeddings, chunk, target_type, masks, normalize)
        index.add_with_ids(vectors, chunk.astype(np.int64))
    return index


def index_entry(index: faiss.Index, *, type_name: str, config: IndexConfig, model_hash: str,
                seconds: float, path: Path, tombstones: int = 0) -> IndexEntry:
    return IndexEntry(
        type=type_name, file=path.name, factory=full_factory(config.factory),
        metric=METRIC_NAME, dim=index.d, count=index.ntotal, tombstones=tombstones,
        search_params=search_params_record(index), model_hash=model_hash,
        build_seconds=round(seconds, 3), sha256=file_sha256(path),
    )


MODEL_FOLDER = "model"  # the exported network that embeds uploads (model/export.py)


def write_bundle(out: Path, *, items: list[dict], embeddings: np.ndarray, masks: np.ndarray,
                 model: BundleModel, config: IndexConfig | None = None,
                 started: float | None = None,
                 write_extra: Callable[[Path], object] | None = None) -> Manifest:
    """Write a complete bundle for `items` (row i = embeddings[i] = FAISS id i).

    `write_extra(staging)` adds files that must appear together with the bundle (the exported
    model), inside the same atomic swap."""
    started = time.perf_counter() if started is None else started
    config = config or IndexConfig()
    layout = config.resolve_layout(model.normalize_spaces)
    type_of = {t: i for i, t in enumerate(model.types)}
    unknown = sorted({item["type"] for item in items} - type_of.keys())
    if unknown:
        raise ValueError(f"items have types {unknown} that are not among {model.types}")
    if len({item["item_id"] for item in items}) != len(items):
        raise ValueError("items: every item_id must be unique")
    item_types = np.array([type_of[item["type"]] for item in items], dtype=np.int64)
    embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
    masks = np.ascontiguousarray(masks, dtype=np.float32)

    with staging_dir(out) as staging:
        atomic_write_text(staging / "items.json", json.dumps(items))
        atomic_save_numpy(staging / "embeddings.npy", embeddings)
        atomic_save_numpy(staging / "masks.npy", masks)
        atomic_save_numpy(staging / "removed.npy", np.empty(0, dtype=np.int64))
        entries = []
        for t, type_name in enumerate(model.types):
            type_started = time.perf_counter()
            rows = np.flatnonzero(item_types == t)
            index = build_type_index(embeddings, rows, t, layout=layout, masks=masks,
                                     normalize=model.normalize_spaces, config=config,
                                     type_name=type_name)
            path = staging / index_file(type_name)
            write_index(index, path)
            entries.append(index_entry(index, type_name=type_name, config=config,
                                       model_hash=model.model_hash, path=path,
                                       seconds=time.perf_counter() - type_started))
        manifest = Manifest(
            model_hash=model.model_hash,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            split=model.split, types=list(model.types), embedding_dim=embeddings.shape[1],
            n_items=len(items), distance=model.distance,
            normalize_spaces=model.normalize_spaces, layout=layout, index_config=config,
            n_removed=0, calibration=model.calibration,
            files={n: file_sha256(staging / n) for n in SIDE_FILES}, indices=entries,
            build_seconds=round(time.perf_counter() - started, 3),
        )
        if write_extra is not None:
            write_extra(staging)
        write_manifest(staging, manifest)
    return manifest


def write_index(index: faiss.Index, path: Path) -> None:
    """faiss writes in place; write beside and rename, like every other artifact."""
    tmp = path.with_name(f".{path.name}.tmp")
    faiss.write_index(index, str(tmp))
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_manifest(bundle: Path, manifest: Manifest) -> None:
    atomic_write_text(bundle / MANIFEST, manifest.model_dump_json(indent=2) + "\n")


def staging_dir(out: Path) -> contextlib.AbstractContextManager[Path]:
    """A temporary sibling of `out`, swapped into its place (under the bundle lock) if the
    block succeeds."""
    return atomic_directory(out, before_swap=bundle_lock(out))


@contextlib.contextmanager
def bundle_lock(out: Path) -> Iterator[None]:
    """One writer at a time: a mutation reads, changes and swaps the bundle as one step.

    Re-entrant within a thread (a second flock on a fresh descriptor would wait for itself),
    which lets a mutation hold it around `staging_dir`'s swap; other threads and processes
    wait, since each opens its own descriptor.
    """
    held = _HELD.__dict__.setdefault("keys", set())
    key = str(Path(out).resolve())
    if key in held:
        yield
        return
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    lock_path = Path(out).parent / f".{Path(out).name}.lock"
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(handle, fcntl.LOCK_UN)


_HELD = threading.local()

