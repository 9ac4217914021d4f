"""`lookbook build-index`: embed the catalog with a trained run and write a serving bundle.

    ARTIFACTS/manifest.json       what was built, from which model, file hashes
    ARTIFACTS/items.json          the catalog's public fields (item_id, type, category_id,
                                  title, url_name), row i = FAISS id i
    ARTIFACTS/embeddings.npy      (N, D) general embeddings
    ARTIFACTS/masks.npy           (P, D) non-negative type-pair masks
    ARTIFACTS/removed.npy         rows removed since the build (index/mutate.py), empty here
    ARTIFACTS/index_<type>.faiss  per target type: stored vectors (index/vectors.py), built
                                  as `index_config` says (index/config.py; Flat by default)

The bundle is written into a temporary sibling folder and renamed into place
(index/bundle.py), so a reader never sees half a bundle and a failed build leaves the
previous one serving.
"""

from __future__ import annotations

import time
from pathlib import Path

from index.bundle import MODEL_FOLDER, BundleModel, write_bundle
from index.config import IndexConfig
from index.manifest import Calibration, Manifest
from model.calibration import fit_platt
from model.catalog import catalog_features, check_types
from model.data.polyvore import load_polyvore
from model.evaluate import task_arrays
from model.export import export_model
from model.run import load_trained


def build_index(
    run_dir: Path, data_root: Path, out: Path, *, cache_dir: Path | None = None,
    progress: bool = False, index_config: IndexConfig | None = None,
) -> Manifest:
    started = time.perf_counter()
    trained = load_trained(run_dir)
    data = load_polyvore(Path(data_root), trained.data_split)
    check_types(data, trained.types)
    catalog = catalog_features(data, trained.config, cache_dir, progress,
                               trained.backbone_weights)
    item_ids, item_index = catalog.item_ids, catalog.item_index
    embeddings = trained.embed(catalog.features)
    scorer = trained.scorer(embeddings, catalog.item_types)
    items = [
        {
            "item_id": i,
            "type": data.items[i].semantic_category,
            "category_id": data.items[i].category_id,
            "title": data.items[i].title,
            "url_name": data.items[i].url_name,
        }
        for i in item_ids
    ]
    model = BundleModel(
        model_hash=trained.model_hash(), split=trained.data_split, types=list(data.types),
        normalize_spaces=trained.config.model.normalize_spaces,
        distance=trained.config.model.distance,
        calibration=_calibrate(scorer, data, item_index),
    )
    return write_bundle(Path(out), items=items, embeddings=embeddings.numpy(),
                        masks=scorer.masks.numpy(), model=model, config=index_config,
                        started=started,
                        write_extra=lambda staging: export_model(trained, staging / MODEL_FOLDER))


def _calibrate(scorer, data, item_index) -> Calibration:
    subset = "valid" if data.split.compatibility.get("valid") else "train"
    tasks = task_arrays(data, subset, item_index)
    distances = scorer.compatibility_distances(tasks.compat_outfits).numpy()
    slope, intercept = fit_platt(distances, tasks.compat_labels)
    return Calibration(
        slope=slope, intercept=intercept, fitted_on=f"compatibility_{subset}.txt",
        n=len(distances),
    )
