"""Losses of the SAT model (docs/method.md, "Losses"), as pure functions over tensors."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from model.config import LossConfig


def triplet_terms(d_ap: torch.Tensor, d_an: torch.Tensor, margin: float) -> torch.Tensor:
    """Per-triplet hinge l_t = max(0, d(a,p) - d(a,n) + margin)."""
    return F.relu(d_ap - d_an + margin)


def difficulty_scores(
    f_a: torch.Tensor, f_p: torch.Tensor, f_n: torch.Tensor, cfg: LossConfig
) -> torch.Tensor:
    """How hard each triplet is *by look alone*, from the general embeddings.

    Computed on detached, L2-normalised embeddings: the score steers the weights and must not
    itself be optimised away.
    """
    a, p, n = (F.normalize(x.detach(), dim=-1) for x in (f_a, f_p, f_n))
    d_ap = (a - p).norm(dim=-1)
    d_an = (a - n).norm(dim=-1)
    d_pn = (p - n).norm(dim=-1)
    lookalike = torch.exp(-d_pn / cfg.difficulty_tau)
    violation = torch.sigmoid((d_ap - d_an) / cfg.difficulty_tau)
    if cfg.difficulty == "margin":
        # anchor nearer the negative than the positive, or negative resembling the positive
        return F.relu(cfg.margin - (d_an - d_ap)) + F.relu(cfg.margin - d_pn)
    if cfg.difficulty == "lookalike":
        return lookalike
    if cfg.difficulty == "violation":
        return violation
    return lookalike * violation


def sat_weights(difficulty: torch.Tensor, cfg: LossConfig) -> torch.Tensor:
    """Per-triplet weights with batch mean 1; all ones when lambda = 0."""
    if cfg.weighting == "softmax":
        w = torch.softmax(cfg.sat_lambda * difficulty, dim=0) * len(difficulty)
    else:
        w = 1.0 + cfg.sat_lambda * difficulty
        w = w / w.mean().clamp_min(1e-12)
    return w.detach()


def self_adaptive_triplet_loss(terms: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return (weights * terms).mean()


def similarity_loss(
    f_a: torch.Tensor, f_p: torch.Tensor, f_n: torch.Tensor, margin: float
) -> torch.Tensor:
    """Items of one type should sit closer in the general space than the compatible pair:
    max(0, D(p,n) - D(p,a) + margin)."""
    d_pn = (f_p - f_n).norm(dim=-1)
    d_pa = (f_p - f_a).norm(dim=-1)
    return F.relu(d_pn - d_pa + margin).mean()


def mask_l1(masks: torch.Tensor) -> torch.Tensor:
    return masks.abs().sum(dim=1).mean()


def embedding_l2(*embeddings: torch.Tensor) -> torch.Tensor:
    return torch.stack([e.norm(dim=-1).mean() for e in embeddings]).mean()


def outfit_difficulty_sums(
    n_outfits: int, outfit: torch.Tensor, difficulty: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-outfit sum and count of this batch's triplet difficulties (summable across ranks)."""
    total = torch.zeros(n_outfits).index_add_(0, outfit, difficulty.detach().float())
    count = torch.zeros(n_outfits).index_add_(0, outfit, torch.ones(len(outfit)))
    return total, count


def apply_outfit_difficulty(
    state: torch.Tensor, seen: torch.Tensor, total: torch.Tensor, count: torch.Tensor,
    momentum: float,
) -> None:
    """In place: EMA of each outfit's mean triplet difficulty over the batches it appears in;
    an outfit's first batch sets it."""
    hit = count > 0
    batch_mean = total[hit] / count[hit]
    old = state[hit]
    state[hit] = torch.where(seen[hit], momentum * old + (1 - momentum) * batch_mean, batch_mean)
    seen[hit] = True


def update_outfit_difficulty(
    state: torch.Tensor,
    seen: torch.Tensor,
    outfit: torch.Tensor,
    difficulty: torch.Tensor,
    momentum: float,
) -> None:
    total, count = outfit_difficulty_sums(len(state), outfit, difficulty)
    apply_outfit_difficulty(state, seen, total, count, momentum)
