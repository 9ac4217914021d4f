"""Platt scaling: turns a mean outfit distance into a probability a frontend can threshold."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression


def fit_platt(distances: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of p = sigmoid(slope * distance + intercept)."""
    distances = np.asarray(distances, dtype=np.float64).reshape(-1, 1)
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        raise ValueError("calibration needs both compatible and incompatible outfits")
    model = LogisticRegression(C=1e4).fit(distances, labels)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def platt_probability(distance: np.ndarray | float, slope: float, intercept: float):
    z = np.asarray(distance, dtype=np.float64) * slope + intercept
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))

