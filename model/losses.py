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


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of `values` where `mask` holds; 0 (still part of the graph) where it never does."""
    kept = torch.where(mask, values, torch.zeros_like(values))
    return kept.sum() / mask.sum().clamp_min(1)


def visual_semantic_loss(
    image_emb: torch.Tensor,
    text_emb: torch.Tensor,
    has_text: torch.Tensor,
    margin: float,
    groups: torch.Tensor | None = None,
) -> torch.Tensor:
    """Visual-semantic term (docs/method.md, "Losses" 6): each item with text must sit nearer
    its own (projected) text than any other in-batch item's text, by `margin`, and its text
    nearer its own image than any other item's image.

    image_emb, text_emb: (B, D), row i of both is item i; has_text: (B,) bool. Items without
    text neither anchor a term nor serve as a text negative. `groups` ((B,) ids, optional):
    rows of one group are not each other's negatives; a batch of triplets repeats items, and
    two items may share one title. The hinge is averaged over every (anchor, negative) pair
    of each direction, then over the two directions; 0 when no pair exists.
    """
    b = image_emb.shape[0]
    # exact distances: the matrix-product shortcut leaves ~1e-3 where a distance is 0
    d = torch.cdist(image_emb, text_emb, compute_mode="donot_use_mm_for_euclid_dist")
    own = d.diagonal().unsqueeze(1)  # (B, 1): image i to its own text
    if groups is None:
        distinct = ~torch.eye(b, dtype=torch.bool, device=d.device)
    else:
        distinct = groups.unsqueeze(1) != groups.unsqueeze(0)
    has = has_text.bool()
    anchors = has.unsqueeze(1) & distinct
    # [i, j]: image i against text j (j needs a text), then text i against image j
    image_to_text = _masked_mean(F.relu(own - d + margin), anchors & has.unsqueeze(0))
    text_to_image = _masked_mean(F.relu(own - d.T + margin), anchors)
    return (image_to_text + text_to_image) / 2


def text_similarity_loss(
    t_a: torch.Tensor,
    t_p: torch.Tensor,
    t_n: torch.Tensor,
    has_a: torch.Tensor,
    has_p: torch.Tensor,
    has_n: torch.Tensor,
    margin: float,
) -> torch.Tensor:
    """`similarity_loss` on the projected texts, max(0, D(p,n) - D(p,a) + margin), averaged
    over the triplets whose three items all have text; 0 when none has."""
    d_pn = (t_p - t_n).norm(dim=-1)
    d_pa = (t_p - t_a).norm(dim=-1)
    valid = has_a.bool() & has_p.bool() & has_n.bool()
    return _masked_mean(F.relu(d_pn - d_pa + margin), valid)
