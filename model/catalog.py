"""The catalog as the model sees it: every metadata item in sorted-id order, with its type
index and its cached backbone features. Training, evaluation and index building all start
from this, so row i means the same item everywhere."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.config import RunConfig
from model.data.types import PolyvoreData
from model.features import cached_features


@dataclass(frozen=True)
class CatalogFeatures:
    item_ids: list[str]
    item_index: dict[str, int]
    item_types: torch.Tensor  # (N,) long, index into the data's sorted types
    features: torch.Tensor  # (N, F) float32


def default_cache_dir() -> Path:
    base = os.environ.get("LOOKBOOK_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "lookbook"
    )
    return Path(base) / "features"


def check_types(data: PolyvoreData, types: tuple[str, ...]) -> None:
    if tuple(data.types) != tuple(types):
        raise ValueError(
            f"{data.root} has types {list(data.types)} but the run was trained on "
            f"{list(types)}: use the dataset the run was trained on"
        )


def catalog_features(
    data: PolyvoreData, config: RunConfig, cache_dir: Path | None = None, progress: bool = False,
    weights_path: Path | None = None,
) -> CatalogFeatures:
    """`weights_path`: a trained model's backbone (TrainedModel.backbone_weights); by default
    the config's local weights file, else the backbone's own weights."""
    item_ids = sorted(data.items)
    if weights_path is None and config.model.backbone_weights:
        weights_path = Path(config.model.backbone_weights)
    features = cached_features(
        data.root,
        item_ids,
        backbone=config.model.backbone,
        image_size=config.model.image_size,
        color=config.model.color_features,
        cache_dir=cache_dir or default_cache_dir(),
        weights_path=weights_path,
        batch_size=config.train.feature_batch_size,
        progress=None if progress else False,  # None: a bar only on a terminal
    )
    type_of = {t: i for i, t in enumerate(data.types)}
    item_types = torch.tensor(
        [type_of[data.items[i].semantic_category] for i in item_ids], dtype=torch.long
    )
    return CatalogFeatures(
        item_ids=item_ids,
        item_index={item_id: i for i, item_id in enumerate(item_ids)},
        item_types=item_types,
        features=torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32)),
    )
