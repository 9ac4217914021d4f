"""A run folder: its config, checkpoints and the trained head rebuilt from them alone.

RUN/config.json      the RunConfig, as data
RUN/metrics.jsonl    one JSON object per step/epoch
RUN/last.pt          latest state (model, optimiser, RNG, epoch), for --resume
RUN/best.pt          the checkpoint with the best validation FITB
RUN/backbone-<hash>.safetensors  a fine-tuned backbone, written from a checkpoint when it is
                     loaded, so feature extraction and export read it like any weights file
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import torch

from model.config import ModelConfig, RunConfig
from model.io import atomic_torch_save, atomic_write_text
from model.net import SATHead
from model.scoring import OutfitScorer

BEST = "best.pt"
LAST = "last.pt"


class RunError(Exception):
    """A run folder that cannot be used; the message says what is missing."""


@dataclass
class TrainedModel:
    config: RunConfig
    types: tuple[str, ...]
    head: SATHead
    data_split: str
    # The backbone weights the features come from, when not the backbone's own: a fine-tuned
    # backbone of this run, or the local file named in the config.
    backbone_weights: Path | None = None

    def embed(self, features: torch.Tensor, batch_size: int = 65536) -> torch.Tensor:
        self.head.eval()
        with torch.inference_mode():
            return torch.cat(
                [
                    self.head(features[i : i + batch_size])
                    for i in range(0, len(features), batch_size)
                ]
            )

    def scorer(self, embeddings: torch.Tensor, item_types: torch.Tensor) -> OutfitScorer:
        with torch.no_grad():
            masks = self.head.space_masks().detach().clone()
        return OutfitScorer(
            embeddings=embeddings,
            item_types=item_types,
            masks=masks,
            pair_table=self.head.pair_table,
            normalize=self.config.model.normalize_spaces,
            squared=self.config.model.distance == "squared_l2",
        )

    def model_hash(self) -> str:
        return model_hash(state_hash(self.head), self.backbone_sha256())

    def backbone_sha256(self) -> str | None:
        if self.backbone_weights is None or self.config.model.finetune == "none":
            return None  # frozen: the head alone defines the model over fixed features
        from model.backbones import file_sha256

        return file_sha256(self.backbone_weights)


def model_hash(head_hash: str, backbone_sha256: str | None) -> str:
    """The head's hash for a frozen backbone; with a fine-tuned one, of both."""
    if backbone_sha256 is None:
        return head_hash
    return hashlib.sha256(f"{head_hash}:{backbone_sha256}".encode()).hexdigest()[:16]


def state_hash(module: torch.nn.Module) -> str:
    """Content hash of the weights: ties an index bundle to the model that made it."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def save_checkpoint(path: Path, state: dict) -> None:
    atomic_torch_save(state, path)


def load_checkpoint(path: Path) -> dict:
    if not path.is_file():
        raise RunError(f"{path} does not exist: train first (lookbook train --out {path.parent})")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: say which, never a raw traceback
        raise RunError(f"{path} is not a readable Lookbook checkpoint: {exc}") from exc


def head_from_checkpoint(state: dict) -> tuple[SATHead, RunConfig, tuple[str, ...]]:
    config = RunConfig.model_validate(state["config"])
    types = tuple(state["types"])
    head = SATHead(config.model, int(state["in_dim"]), len(types))
    head.load_state_dict(state["model"])
    return head, config, types


def load_trained(run_dir: Path, which: str = BEST) -> TrainedModel:
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"run folder {run_dir} does not exist")
    state = load_checkpoint(run_dir / which)
    head, config, types = head_from_checkpoint(state)
    head.eval()
    weights = Path(config.model.backbone_weights) if config.model.backbone_weights else None
    if "backbone" in state:
        weights = write_backbone(run_dir, config.model.backbone, state["backbone"])
    return TrainedModel(config=config, types=types, head=head, data_split=state["split"],
                        backbone_weights=weights)


def write_backbone(run_dir: Path, name: str, state: dict[str, torch.Tensor]) -> Path:
    """The fine-tuned backbone of a checkpoint as a weights file named by its content."""
    from model.backbones import save_feature_backbone

    digest = hashlib.sha256()
    for key, tensor in sorted(state.items()):
        digest.update(key.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    path = Path(run_dir) / f"backbone-{digest.hexdigest()[:16]}.safetensors"
    if not path.is_file():
        save_feature_backbone(name, state, path)
    return path


def write_config(run_dir: Path, config: RunConfig, extra: dict | None = None) -> None:
    payload = {"config": config.model_dump(), **(extra or {})}
    atomic_write_text(run_dir / "config.json", json.dumps(payload, indent=2) + "\n")


def untrained_model(config: ModelConfig, in_dim: int, types: tuple[str, ...], seed: int):
    torch.manual_seed(seed)
    return SATHead(config, in_dim, len(types))
