"""Colour statistics of a product photo, used both by the colour-histogram baseline and as
colour features beside frozen CNN features (pooled ImageNet features keep little colour)."""

from __future__ import annotations

import numpy as np
from PIL import Image

BINS_PER_CHANNEL = 4
HISTOGRAM_DIM = BINS_PER_CHANNEL**3
# Product photos sit on a near-white background; those pixels say nothing about the garment.
BACKGROUND_THRESHOLD = 235


def color_histogram(image: Image.Image, bins: int = BINS_PER_CHANNEL) -> np.ndarray:
    """Joint RGB histogram of the foreground pixels, L1-normalised, shape (bins**3,)."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint8).reshape(-1, 3)
    foreground = rgb[(rgb < BACKGROUND_THRESHOLD).any(axis=1)]
    if len(foreground) == 0:  # an all-white item is white, not colourless
        foreground = rgb
    q = (foreground.astype(np.int64) * bins) // 256
    codes = (q[:, 0] * bins + q[:, 1]) * bins + q[:, 2]
    hist = np.bincount(codes, minlength=bins**3).astype(np.float32)
    return hist / hist.sum()
