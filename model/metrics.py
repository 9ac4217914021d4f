"""Evaluation metrics as pure functions over arrays (docs/method.md, "Evaluation protocol")."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score


def fitb_accuracy(distances: np.ndarray, correct: np.ndarray) -> float:
    """Share of questions whose lowest-distance candidate is the right one.

    Ties go to the earliest candidate, as numpy's argmin does.
    """
    distances = np.asarray(distances)
    if len(distances) == 0:
        return float("nan")
    return float((distances.argmin(axis=1) == np.asarray(correct)).mean())


def compatibility_auc(labels: np.ndarray, distances: np.ndarray) -> float:
    """ROC AUC of -distance against labels (1 = compatible)."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, -np.asarray(distances)))


def recall_at_k(ranks: np.ndarray, ks: tuple[int, ...] = (10, 30, 50)) -> dict[str, float]:
    """ranks: 0-based rank of the held-out item among the catalog items of its type."""
    ranks = np.asarray(ranks)
    return {f"recall@{k}": float((ranks < k).mean()) if len(ranks) else float("nan") for k in ks}
