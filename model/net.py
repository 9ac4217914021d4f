"""The SAT network head: general embedding f(x) and one learned mask per type pair.

Built from one ModelConfig; `forward` returns general embeddings, nothing else. The frozen
backbone's features are computed once and cached (model/features.py), so the head is the
whole trainable network in the `offline` preset.
"""

from __future__ import annotations

import torch
from torch import nn

from model.config import ModelConfig
from model.scoring import build_pair_table, n_pairs


class SATHead(nn.Module):
    def __init__(self, cfg: ModelConfig, in_dim: int, n_types: int):
        super().__init__()
        self.cfg = cfg
        self.in_dim = in_dim
        self.n_types = n_types
        # Standardising inputs puts the 64 colour-histogram bins on the scale of the 1280 CNN
        # features; the statistics come from the training items and travel with the weights.
        self.register_buffer("feature_mean", torch.zeros(in_dim))
        self.register_buffer("feature_std", torch.ones(in_dim))
        self.register_buffer("pair_table", build_pair_table(n_types))
        self.embed = nn.Linear(in_dim, cfg.embedding_dim)
        self.masks = nn.Parameter(
            torch.empty(n_pairs(n_types), cfg.embedding_dim).normal_(
                cfg.mask_init_mean, cfg.mask_init_std
            )
        )

    def set_feature_statistics(self, features: torch.Tensor) -> None:
        self.feature_mean.copy_(features.mean(0))
        self.feature_std.copy_(features.std(0).clamp_min(1e-6))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.embed((features - self.feature_mean) / self.feature_std)

    def space_masks(self) -> torch.Tensor:
        return torch.relu(self.masks)
