"""What the service serves: one bundle and its model, loaded and checked as a unit.

A request takes the current `Served` once and uses it throughout, and a reload replaces it by
one attribute assignment, so no request ever mixes two bundles.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from index.bundle import MODEL_FOLDER
from index.search import CatalogIndex
from model.export import ExportedModel, load_exported

log = logging.getLogger("lookbook.state")


class BundleCheckError(Exception):
    """A bundle and its model that cannot be served together; the message says why."""


@dataclass(frozen=True)
class Served:
    catalog: CatalogIndex
    model: ExportedModel | None
    artifacts: Path
    loaded_at: str
    load_seconds: float
    generation: int

    def versions(self) -> dict:
        manifest = self.catalog.manifest
        return {
            "artifacts": str(self.artifacts),
            "model_hash": manifest.model_hash,
            "bundle_created": manifest.created,
            "bundle_updated": manifest.updated,
            "bundle_format": manifest.format_version,
            "n_items": manifest.n_items,
            "uploads": self.model is not None,
            "backbone": self.model.spec.name if self.model else None,
            "loaded_at": self.loaded_at,
            "generation": self.generation,
            "pid": os.getpid(),
        }


def load_served(artifacts: Path, *, previous: Served | None = None) -> Served:
    """Load the bundle at `artifacts` (and `artifacts/model` if present), check that they fit
    together and answer a smoke query; raise on any failure, leaving `previous` untouched."""
    started = time.perf_counter()
    artifacts = Path(artifacts)
    catalog = CatalogIndex.load(artifacts)
    model = None
    if (artifacts / MODEL_FOLDER).exists():
        backbone = _reusable_backbone(previous, artifacts / MODEL_FOLDER)
        model = load_exported(artifacts / MODEL_FOLDER, backbone=backbone)
        check_model_fits(catalog, model)
    smoke_check(catalog, model)
    return Served(
        catalog=catalog, model=model, artifacts=artifacts,
        loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        load_seconds=round(time.perf_counter() - started, 3),
        generation=(previous.generation + 1) if previous else 1,
    )


def _reusable_backbone(previous: Served | None, folder: Path):
    # Building EfficientNet-Lite takes a second and ~20 MB; a reload of a bundle embedded with
    # the same frozen weights can share it (the module is read-only at inference).
    if previous is None or previous.model is None:
        return None
    from model.export import read_description

    try:
        wanted = read_description(folder)["backbone"]
    except Exception:  # load_exported reports the problem properly
        return None
    if wanted == previous.model.description["backbone"]:
        return previous.model.backbone
    return None


def check_model_fits(catalog: CatalogIndex, model: ExportedModel) -> None:
    manifest = catalog.manifest
    if model.model_hash != manifest.model_hash:
        raise BundleCheckError(
            f"model/ holds model {model.model_hash} but the catalog was embedded with "
            f"{manifest.model_hash}: export the model of the run that built the bundle")
    if list(model.types) != list(manifest.types):
        raise BundleCheckError(f"model/ has types {list(model.types)}, the bundle "
                               f"{list(manifest.types)}")
    if model.embedding_dim != manifest.embedding_dim:
        raise BundleCheckError(f"model/ embeds into {model.embedding_dim} dims, the bundle "
                               f"holds {manifest.embedding_dim}")
    if not torch.allclose(model.masks(), catalog.scorer.masks, atol=1e-6):
        raise BundleCheckError("model/ type-pair masks differ from the bundle's masks.npy")


def smoke_check(catalog: CatalogIndex, model: ExportedModel | None) -> None:
    """One real query through every served path: a bundle that loads but cannot answer is
    refused before it replaces a working one."""
    n = len(catalog.items)
    if n >= 2:
        d = catalog.scorer.compatibility_distances(torch.tensor([[0, 1]]))
        if not torch.isfinite(d).all():
            raise BundleCheckError("the catalog's embeddings give a non-finite distance")
        catalog.search([0], int(catalog.scorer.item_types[1]), 1)
    if model is not None:
        white = Image.fromarray(np.full((32, 32, 3), 255, dtype=np.uint8))
        embedding = model.embed_images([white])
        if embedding.shape != (1, model.embedding_dim) or not torch.isfinite(embedding).all():
            raise BundleCheckError("model/ gives a malformed embedding for a test image")
