"""Which FITB questions and outfits a report shows, as pure functions over the scorer's
distance arrays (lower distance = goes better), so the choice is testable without images."""

from __future__ import annotations

import numpy as np


def choices(distances: np.ndarray) -> np.ndarray:
    """The candidate the model picks: the lowest distance, ties to the earliest, exactly as
    model.metrics.fitb_accuracy counts it."""
    return distances.argmin(axis=1) if len(distances) else np.zeros(0, dtype=np.int64)


def miss_margin(distances: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """How far the right answer is behind the model's pick (0 when the pick is right): the
    larger, the more confidently wrong."""
    rows = np.arange(len(distances))
    return distances[rows, correct] - distances.min(axis=1) if len(distances) else np.zeros(0)


def gallery_sample(n_questions: int, size: int, seed: int) -> np.ndarray:
    """A fixed-seed sample of question indices, in file order: an honest look at the model,
    right and wrong answers in their real proportion."""
    size = min(size, n_questions)
    picked = np.random.default_rng(seed).choice(n_questions, size=size, replace=False)
    return np.sort(picked)


def _worst_first(mask: np.ndarray, margin: np.ndarray, size: int) -> np.ndarray:
    which = np.flatnonzero(mask)
    # stable sort: equal margins keep file order, so a report is reproducible
    return which[np.argsort(-margin[which], kind="stable")][:size]


def right_where_ablation_wrong(
    correct: np.ndarray, picks: np.ndarray, ablation_distances: np.ndarray, size: int
) -> np.ndarray:
    """Questions the model gets right and the ablation gets wrong, those the ablation misses
    most confidently first."""
    ablation_picks = choices(ablation_distances)
    mask = (picks == correct) & (ablation_picks != correct)
    return _worst_first(mask, miss_margin(ablation_distances, correct), size)


def hard_misses(
    correct: np.ndarray, picks: np.ndarray, lookalike: np.ndarray, margin: np.ndarray, size: int
) -> np.ndarray:
    """Hard questions (the look-alike baseline misses them, as `lookbook evaluate` defines
    hard FITB) that the model still gets wrong, most confidently wrong first."""
    mask = (lookalike != correct) & (picks != correct)
    return _worst_first(mask, margin, size)


def least_compatible(mean_distances: np.ndarray, size: int) -> np.ndarray:
    """Indices of the highest mean pair distances, highest first; NaN (outfits of one item)
    never counts as incompatible."""
    which = np.flatnonzero(~np.isnan(mean_distances))
    return which[np.argsort(-mean_distances[which], kind="stable")][:size]


def weakest_pair(pair_distances: np.ndarray) -> tuple[int, int]:
    """(i, j) positions of the largest pair distance of one outfit's (L, L) matrix, NaN off
    its valid upper triangle (OutfitScorer.outfit_pair_distances)."""
    flat = int(np.nanargmax(pair_distances))
    i, j = np.unravel_index(flat, pair_distances.shape)
    return int(i), int(j)
