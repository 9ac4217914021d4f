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
    image_size: int = 160
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


class TrainConfig(_Frozen):
    epochs: int = 12
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    feature_batch_size: int = 64
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


def load_config(path: Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    data: dict[str, Any] = {}
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        try:
            data = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
            raise ConfigError(f"config file {path} is not valid TOML/JSON: {exc}") from exc
    data = apply_overrides(data, overrides or [])
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid config: {problems}") from exc
