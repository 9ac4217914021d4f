"""`lookbook build-index`: embed the catalog with a trained run and write a serving bundle.

    ARTIFACTS/manifest.json       what was built, from which model, file hashes
    ARTIFACTS/items.json          the catalog's public fields, row i = FAISS id i
    ARTIFACTS/embeddings.npy      (N, D) general embeddings
    ARTIFACTS/masks.npy           (P, D) non-negative type-pair masks
    ARTIFACTS/index_<type>.faiss  per target type: stored vectors (index/vectors.py)

The bundle is written into a temporary sibling folder and renamed into place, so a reader
never sees half a bundle and a failed build leaves the previous one serving.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
import torch

from index.manifest import MANIFEST, Calibration, IndexEntry, Manifest, file_sha256
from index.vectors import stored_vectors
from model.calibration import fit_platt
from model.data.polyvore import load_polyvore
from model.evaluate import task_arrays
from model.io import atomic_save_numpy, atomic_write_text
from model.run import load_trained
from model.train import load_catalog_features

FLAT_FACTORY = "IDMap2,Flat"
SIDE_FILES = ("items.json", "embeddings.npy", "masks.npy")


def build_index(
    run_dir: Path, data_root: Path, out: Path, *, cache_dir: Path | None = None,
    progress: bool = False,
) -> Manifest:
    started = time.perf_counter()
    trained = load_trained(run_dir)
    data = load_polyvore(Path(data_root), trained.data_split)
    if tuple(data.types) != trained.types:
        raise ValueError(
            f"{data_root} has types {list(data.types)} but the run was trained on "
            f"{list(trained.types)}: build with the dataset the run was trained on"
        )
    item_ids, features = load_catalog_features(data, trained.config, cache_dir, progress)
    item_index = {item_id: i for i, item_id in enumerate(item_ids)}
    type_of = {t: i for i, t in enumerate(data.types)}
    item_types = torch.tensor(
        [type_of[data.items[i].semantic_category] for i in item_ids], dtype=torch.long
    )
    embeddings = trained.embed(features)
    scorer = trained.scorer(embeddings, item_types)
    calibration = _calibrate(scorer, data, item_index)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.building-"))
    try:
        items = [
            {
                "item_id": i,
                "type": data.items[i].semantic_category,
                "category_id": data.items[i].category_id,
                "title": data.items[i].title,
            }
            for i in item_ids
        ]
        atomic_write_text(staging / "items.json", json.dumps(items))
        atomic_save_numpy(staging / "embeddings.npy", embeddings.numpy().astype(np.float32))
        atomic_save_numpy(staging / "masks.npy", scorer.masks.numpy().astype(np.float32))
        entries = []
        for t, type_name in enumerate(data.types):
            ids = np.flatnonzero(item_types.numpy() == t).astype(np.int64)
            vectors = stored_vectors(
                embeddings[ids], t, scorer.masks, scorer.pair_table, scorer.normalize
            ).numpy().astype(np.float32)
            index = faiss.index_factory(vectors.shape[1], FLAT_FACTORY, faiss.METRIC_INNER_PRODUCT)
            index.add_with_ids(vectors, ids)
            name = f"index_{type_name}.faiss"
            faiss.write_index(index, str(staging / name))
            entries.append(IndexEntry(
                type=type_name, file=name, factory=FLAT_FACTORY, metric="inner_product",
                dim=vectors.shape[1], count=len(ids), sha256=file_sha256(staging / name),
            ))
        manifest = Manifest(
            model_hash=trained.model_hash(),
            created=datetime.now(UTC).isoformat(timespec="seconds"),
            split=trained.data_split,
            types=list(data.types),
            embedding_dim=embeddings.shape[1],
            n_items=len(item_ids),
            distance=trained.config.model.distance,
            normalize_spaces=trained.config.model.normalize_spaces,
            calibration=calibration,
            files={n: file_sha256(staging / n) for n in SIDE_FILES},
            indices=entries,
            build_seconds=round(time.perf_counter() - started, 3),
        )
        atomic_write_text(staging / MANIFEST, manifest.model_dump_json(indent=2) + "\n")
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the bundle from a non-root server
        _swap_into_place(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def _calibrate(scorer, data, item_index) -> Calibration:
    subset = "valid" if data.split.compatibility.get("valid") else "train"
    tasks = task_arrays(data, subset, item_index)
    distances = scorer.compatibility_distances(tasks.compat_outfits).numpy()
    slope, intercept = fit_platt(distances, tasks.compat_labels)
    return Calibration(
        slope=slope, intercept=intercept, fitted_on=f"compatibility_{subset}.txt",
        n=len(distances),
    )


def _swap_into_place(staging: Path, out: Path) -> None:
    """Replace `out` by `staging`; the old bundle is removed only once the new one is in."""
    if not out.exists():
        staging.rename(out)
        return
    retired = out.parent / f".{out.name}.retired-{time.time_ns()}"
    out.rename(retired)
    staging.rename(out)
    shutil.rmtree(retired, ignore_errors=True)
