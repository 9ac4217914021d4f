"""Projection of frozen text features (model/text.py) into the general embedding space,
where the visual-semantic loss compares them with f(x) (docs/method.md, "Losses" 6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class TextBranch(nn.Module):
    """Two layers, as the type-aware reference's text branch, without its batch norm: a
    batch mixes items with and without text, and the zero rows of the textless ones would
    skew the batch statistics. Output rows are L2-normalised, so a text's embedding has a
    scale the margin can be set against."""

    def __init__(self, in_dim: int, embedding_dim: int) -> None:
        super().__init__()
        self.hidden = nn.Linear(in_dim, embedding_dim)
        self.out = nn.Linear(embedding_dim, embedding_dim)

    def forward(self, text_features: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.out(F.relu(self.hidden(text_features))), dim=-1)


@dataclass
class TextSide:
    """What training needs of the text branch: the branch, and per catalog row its frozen
    text features, whether it has text, and an id shared by rows of identical text (two
    items with one title must not be each other's negatives in the visual-semantic loss)."""

    branch: TextBranch
    features: torch.Tensor  # (N, T)
    has_text: torch.Tensor  # (N,) bool
    groups: torch.Tensor  # (N,) long

    @classmethod
    def build(cls, branch: TextBranch, features: np.ndarray, has_text: np.ndarray,
              texts: Sequence[str]) -> TextSide:
        _, groups = np.unique(np.asarray(texts, dtype=object).astype(str), return_inverse=True)
        return cls(branch, torch.from_numpy(features), torch.from_numpy(has_text),
                   torch.from_numpy(groups.astype(np.int64)))

    def to(self, device: torch.device) -> TextSide:
        return TextSide(self.branch.to(device), self.features.to(device),
                        self.has_text.to(device), self.groups.to(device))
