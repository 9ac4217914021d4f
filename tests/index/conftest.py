"""Seeded synthetic bundles: exact ground truth from the scorer, no training needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.bundle import BundleModel, write_bundle
from index.config import IndexConfig
from index.manifest import Calibration
from model.scoring import n_pairs

TYPES = ["bags", "bottoms", "hats", "shoes", "tops"]
DIM = 16


def synthetic_catalog(n: int, seed: int = 0, dim: int = DIM) -> tuple[list[dict], np.ndarray,
                                                                        np.ndarray]:
    rng = np.random.default_rng(seed)
    types = rng.integers(0, len(TYPES), n)
    items = [{"item_id": f"i{r}", "type": TYPES[t], "category_id": str(100 * t + r % 3),
              "title": ""} for r, t in enumerate(types)]
    embeddings = rng.normal(size=(n, dim)).astype(np.float32)
    # ReLU of N(0.9, 0.7), the model's mask initialisation: some exact zeros, as trained
    masks = np.maximum(rng.normal(0.9, 0.7, size=(n_pairs(len(TYPES)), dim)), 0)
    return items, embeddings, masks.astype(np.float32)


def write_synthetic(out: Path, *, n: int = 600, seed: int = 0, normalize: bool = True,
                    distance: str = "squared_l2", config: IndexConfig | None = None) -> Path:
    items, embeddings, masks = synthetic_catalog(n, seed)
    model = BundleModel(model_hash="0123456789abcdef", split="synthetic", types=TYPES,
                        normalize_spaces=normalize, distance=distance,
                        calibration=Calibration(slope=-1.0, intercept=0.0, fitted_on="none",
                                                n=0))
    write_bundle(out, items=items, embeddings=embeddings, masks=masks, model=model,
                 config=config)
    return out


@pytest.fixture
def synthetic(tmp_path):
    """Factory: synthetic(**write_synthetic kwargs) -> bundle path in this test's tmp dir."""
    counter = iter(range(1000))

    def make(**kwargs) -> Path:
        return write_synthetic(tmp_path / f"bundle{next(counter)}", **kwargs)

    return make
