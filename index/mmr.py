"""Maximal marginal relevance: re-order a ranked pool so the top is not k near-copies."""

from __future__ import annotations

import numpy as np


def mmr_order(relevance: np.ndarray, similarity: np.ndarray, k: int, lam: float) -> np.ndarray:
    """Pool positions in pick order, at most k.

    Each pick maximises lam * relevance[i] - (1 - lam) * max_{j picked} similarity[i, j]:
    lam = 1 keeps the relevance order, lam = 0 only avoids what was picked. Ties go to the
    earlier pool position, so a pool sorted best-first stays deterministic.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"mmr lambda must lie in [0, 1], got {lam}")
    relevance = np.asarray(relevance, dtype=np.float64)
    similarity = np.asarray(similarity, dtype=np.float64)
    n = len(relevance)
    k = min(k, n)
    picked = np.empty(k, dtype=np.int64)
    available = np.ones(n, dtype=bool)
    redundancy = np.zeros(n)  # max similarity to the picks so far; nothing picked yet
    for step in range(k):
        score = lam * relevance - (1.0 - lam) * redundancy
        score[~available] = -np.inf
        best = int(np.argmax(score))
        picked[step] = best
        available[best] = False
        redundancy = similarity[best] if step == 0 else np.maximum(redundancy, similarity[best])
    return picked
