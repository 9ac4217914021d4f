"""Pillow drawing of one sample garment: its silhouette filled with its fabric, outlined, on a
white background, as a product photo would show it."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from model.sample.fabric import fabric
from model.sample.shapes import CUT, DARK, DETAIL, FABRIC, METAL, SILHOUETTES, SOLE, Part

# Label values of the paint map; 0 is background (and what a cut leaves).
_PAINTS = (FABRIC, DETAIL, DARK, SOLE, METAL)
_LABEL = {paint: k + 1 for k, paint in enumerate(_PAINTS)} | {CUT: 0}
_FIXED_RGB = {DARK: (44, 44, 52), SOLE: (214, 210, 202), METAL: (196, 164, 86)}
_BACKGROUND = (255, 255, 255)
# Drawn at twice the size and averaged down, so that edges are anti-aliased.
_SUPERSAMPLE = 2


def _draw_part(draw: ImageDraw.ImageDraw, part: Part, to_px, unit: float) -> None:
    fill = _LABEL[part.paint]
    pts = [to_px(p) for p in part.points]
    if part.kind == "polygon":
        draw.polygon(pts, fill=fill)
    elif part.kind in ("ellipse", "dot"):
        draw.ellipse(pts, fill=fill)
    elif part.kind == "rect":
        draw.rounded_rectangle(pts, radius=part.width * unit, fill=fill)
    elif part.kind == "arc":
        draw.arc(pts, *part.angles, fill=fill, width=max(1, round(part.width * unit)))
    elif part.kind == "pie":
        draw.pieslice(pts, *part.angles, fill=fill)
    elif part.kind == "line":
        draw.line(pts, fill=fill, width=max(1, round(part.width * unit)), joint="curve")
    else:
        raise ValueError(f"unknown silhouette part kind {part.kind!r}")


def _paint_map(fine_category: str, canvas: int, rng: np.random.Generator) -> np.ndarray:
    """Label of each supersampled pixel, after a random scale and shift of the silhouette."""
    scale = rng.uniform(0.82, 0.96)
    shift_x, shift_y = rng.uniform(-4, 4, size=2)

    def to_px(p: tuple[float, float]) -> tuple[float, float]:
        return (
            canvas * (0.5 + ((p[0] - 50) * scale + shift_x) / 100),
            canvas * (0.5 + ((p[1] - 50) * scale + shift_y) / 100),
        )

    labels = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(labels)
    for part in SILHOUETTES[fine_category]:
        _draw_part(draw, part, to_px, canvas * scale / 100)
    # A dark rim on the silhouette keeps pale garments visible against the white background.
    labels_np = np.asarray(labels)
    rim = (labels_np > 0) & ~_erode(labels_np > 0, _SUPERSAMPLE)
    return np.where(rim, _LABEL[DETAIL], labels_np).astype(np.uint8)


def _erode(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary erosion by a square, as shifted ANDs (a rank filter is several times slower)."""
    out = mask.copy()
    for axis in (0, 1):
        shifted = out.copy()
        for step in range(1, radius + 1):
            ahead = np.roll(out, step, axis=axis)
            behind = np.roll(out, -step, axis=axis)
            shifted &= ahead & behind
        out = shifted
    return out


def render_item(
    fine_category: str,
    pattern: str,
    texture: str,
    colours: tuple[tuple[int, int, int], ...],
    size: int,
    rng: np.random.Generator,
) -> Image.Image:
    """The product photo of one item: `colours` are its main, accent and third colour."""
    canvas = size * _SUPERSAMPLE
    labels = _paint_map(fine_category, canvas, rng)
    outline = tuple(int(c * 0.55) for c in colours[0])
    flat_rgb = {DETAIL: outline, FABRIC: _BACKGROUND} | _FIXED_RGB
    # Pillow does the compositing and the box downsampling in C: numpy took 5 ms an image.
    flat = Image.frombytes("P", (canvas, canvas), labels.tobytes())
    flat.putpalette([v for rgb in (_BACKGROUND, *(flat_rgb[p] for p in _PAINTS)) for v in rgb])
    cloth = Image.fromarray(fabric(size, pattern, texture, colours, rng))
    cloth = cloth.resize((canvas, canvas), Image.Resampling.NEAREST)
    on_cloth = Image.fromarray(np.where(labels == _LABEL[FABRIC], 255, 0).astype(np.uint8))
    image = Image.composite(cloth, flat.convert("RGB"), on_cloth).reduce(_SUPERSAMPLE)
    angle = rng.uniform(-4, 4)
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=_BACKGROUND)
