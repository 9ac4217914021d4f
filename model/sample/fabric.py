"""Fabric of a sample garment: a pattern (colours laid out on the canvas) and a texture (a
brightness field multiplied over it). Both are whole-canvas numpy arrays that the drawing
code masks with the garment's silhouette."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

Rgb = np.ndarray  # shape (3,), float32 in 0..255
# Pattern geometry is in units of a 128-pixel canvas, so that `image_size` changes the
# resolution of a photo, not how big its stripes are on the garment. Textures stay in pixels:
# they are the weave, which a lower resolution should blur rather than enlarge.
REFERENCE_SIZE = 128.0
PatternFn = Callable[[np.ndarray, np.ndarray, Rgb, Rgb, Rgb, np.random.Generator], np.ndarray]


def _select(mask: np.ndarray, on: Rgb, off: Rgb | np.ndarray) -> np.ndarray:
    return np.where(mask[..., None], on, off)


def _solid(y, x, main, sec, third, rng):
    return np.broadcast_to(main, (*y.shape, 3))


def _stripes(y, x, main, sec, third, rng):
    period = rng.uniform(12, 16)
    return _select((y % period) < period * 0.4, sec, main)


def _pinstripe(y, x, main, sec, third, rng):
    period = rng.uniform(7, 9)
    return _select((x % period) < 1.2, sec, main)


def _windowpane(y, x, main, sec, third, rng):
    period = rng.uniform(16, 20)
    return _select(((x % period) < 1.3) | ((y % period) < 1.3), sec, main)


def _houndstooth(y, x, main, sec, third, rng):
    # A broken check: a checkerboard whose squares are cut by diagonal teeth.
    period = rng.uniform(7, 9)
    board = ((x // period) + (y // period)) % 2 == 0
    teeth = ((x + y) % period) < period / 2
    return _select(board ^ teeth, sec, main)


def _argyle(y, x, main, sec, third, rng):
    period = rng.uniform(16, 20)
    return _select((((x + y) % period) < 1.6) | (((x - y) % period) < 1.6), sec, main)


def _gingham(y, x, main, sec, third, rng):
    period = rng.uniform(9, 12)
    across = (y % period) < period / 2
    down = (x % period) < period / 2
    half = (main + sec) / 2
    out = _select(across | down, half, main)
    return _select(across & down, sec, out)


def _plaid(y, x, main, sec, third, rng):
    period = rng.uniform(20, 26)
    base = _gingham(y, x, main, sec, third, rng)
    lines = ((x % period) < 1.5) | ((y % period) < 1.5)
    return _select(lines, third, base)


def _flowers(y, x, main, sec, third, rng, radius: float, count: int) -> np.ndarray:
    # Stamped with Pillow on a label map (0 ground, 1 petal, 2 heart): far faster than
    # one numpy mask per petal.
    h, w = y.shape
    labels = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(labels)
    centres = rng.uniform([0, 0], [h, w], size=(count, 2))
    radii = radius * (h / REFERENCE_SIZE) * rng.uniform(0.8, 1.2, size=count)
    angles = rng.uniform(0, 2 * np.pi, size=(count, 1)) + np.arange(5) * 2 * np.pi / 5
    petal_y = centres[:, :1] + 0.9 * radii[:, None] * np.sin(angles)
    petal_x = centres[:, 1:] + 0.9 * radii[:, None] * np.cos(angles)
    petal_boxes = np.stack([petal_x, petal_y, petal_x, petal_y], axis=-1)
    petal_boxes += 0.6 * radii[:, None, None] * np.array([-1, -1, 1, 1])
    heart_boxes = centres[:, [1, 0, 1, 0]] + 0.4 * radii[:, None] * np.array([-1, -1, 1, 1])
    for petals, heart in zip(petal_boxes.tolist(), heart_boxes.tolist(), strict=True):
        for box in petals:
            draw.ellipse(box, fill=1)
        draw.ellipse(heart, fill=2)
    return np.stack([main, sec, third])[np.asarray(labels)]


def _floral(y, x, main, sec, third, rng):
    return _flowers(y, x, main, sec, third, rng, radius=8.0, count=22)


def _ditsy(y, x, main, sec, third, rng):
    return _flowers(y, x, main, sec, third, rng, radius=3.2, count=110)


def _chevron(y, x, main, sec, third, rng):
    period = rng.uniform(14, 18)
    zigzag = np.abs((x % period) - period / 2)
    return _select(((y + zigzag) % period) < period * 0.35, sec, main)


def _diamonds(y, x, main, sec, third, rng):
    period = rng.uniform(14, 18)
    dy = np.abs((y % period) - period / 2)
    dx = np.abs((x % period) - period / 2)
    return _select(dx + dy < period * 0.28, sec, main)


def _dots(y, x, main, sec, third, rng):
    period = rng.uniform(10, 13)
    row = np.floor(y / period)
    shifted = x + (row % 2) * period / 2
    dy = (y % period) - period / 2
    dx = (shifted % period) - period / 2
    return _select(dx**2 + dy**2 < (period * 0.22) ** 2, sec, main)


def _colour_block(y, x, main, sec, third, rng):
    # A tilted panel across the middle of the canvas, where every silhouette has its body.
    offset = (x - REFERENCE_SIZE / 2) * rng.uniform(-0.6, 0.6)
    centre = REFERENCE_SIZE * rng.uniform(0.5, 0.6)
    return _select(np.abs(y + offset - centre) < REFERENCE_SIZE * 0.2, sec, main)


def _double_stripe(y, x, main, sec, third, rng):
    d = np.abs(y - REFERENCE_SIZE * rng.uniform(0.45, 0.6))
    return _select((d > 3) & (d < 7), sec, main)


# Patterns placed on the canvas rather than repeated over it: they get no random shift.
_PLACED = {"colour-block", "double-stripe"}

PATTERNS: dict[str, PatternFn] = {
    "solid": _solid,
    "stripes": _stripes,
    "pinstripe": _pinstripe,
    "windowpane": _windowpane,
    "houndstooth": _houndstooth,
    "argyle": _argyle,
    "gingham": _gingham,
    "plaid": _plaid,
    "floral": _floral,
    "ditsy": _ditsy,
    "chevron": _chevron,
    "diamonds": _diamonds,
    "dots": _dots,
    "colour-block": _colour_block,
    "double-stripe": _double_stripe,
}


# Rough share of a canvas each pattern paints in its accent and third colour (a two-colour
# blend counts half to each). The FITB generator uses it to find colour look-alikes.
ACCENT_SHARE: dict[str, tuple[float, float]] = {
    "solid": (0.0, 0.0),
    "stripes": (0.4, 0.0),
    "pinstripe": (0.15, 0.0),
    "windowpane": (0.14, 0.0),
    "houndstooth": (0.5, 0.0),
    "argyle": (0.17, 0.0),
    "gingham": (0.5, 0.0),
    "plaid": (0.43, 0.13),
    "floral": (0.34, 0.04),
    "ditsy": (0.35, 0.05),
    "chevron": (0.35, 0.0),
    "diamonds": (0.16, 0.0),
    "dots": (0.15, 0.0),
    "colour-block": (0.39, 0.0),
    "double-stripe": (0.06, 0.0),
}


# Every texture is 1 + TEXTURE_AMPLITUDE * sin(phase) and differs only in how the phase runs
# over the cloth. So all textures spread a colour over the same brightness range in the same
# proportions: a colour histogram cannot tell them apart, while their structure (diagonal
# twill, knit stitches, basket weave, mesh holes, satin sheen) is plain to a CNN.
TEXTURE_AMPLITUDE = 0.1


def _twill(y, x, rng):
    return 2 * np.pi * (x + y) / rng.uniform(3.5, 4.5)


def _knit(y, x, rng):
    # Rows of small V stitches, as a jersey knit looks from a metre away.
    period = rng.uniform(4.5, 5.5)
    return 2 * np.pi * (np.abs((x % period) - period / 2) + 0.8 * y) / period


def _woven(y, x, rng):
    # A basket weave: cells of threads that alternate between running across and down.
    cell = rng.uniform(7, 9)
    across = ((y // cell) + (x // cell)) % 2 == 0
    return 2 * np.pi * np.where(across, x, y) / 3.0


def _mesh(y, x, rng):
    period = rng.uniform(4.5, 5.5)
    radius = np.hypot((y % period) - period / 2, (x % period) - period / 2)
    return 2 * np.pi * radius / (0.5 * period)


def _satin(y, x, rng):
    h, _ = y.shape
    return 2 * np.pi * (0.6 * x + y) / (0.3 * h) + rng.uniform(0, 2 * np.pi)


TEXTURES: dict[str, Callable[[np.ndarray, np.ndarray, np.random.Generator], np.ndarray]] = {
    "twill": _twill,
    "knit": _knit,
    "woven": _woven,
    "mesh": _mesh,
    "satin": _satin,
}


def fabric(
    size: int,
    pattern: str,
    texture: str,
    colours: tuple[tuple[int, int, int], ...],
    rng: np.random.Generator,
) -> np.ndarray:
    """The garment's fabric over a size x size canvas, uint8 RGB."""
    pixel_y, pixel_x = np.mgrid[0:size, 0:size].astype(np.float32)
    y, x = pixel_y * (REFERENCE_SIZE / size), pixel_x * (REFERENCE_SIZE / size)
    if pattern not in _PLACED:
        # A random shift so that two items with the same pattern never line up pixel for pixel.
        y += rng.uniform(0, 32)
        x += rng.uniform(0, 32)
    main, sec, third = (np.asarray(c, dtype=np.float32) for c in colours)
    rgb = PATTERNS[pattern](y, x, main, sec, third, rng).astype(np.float32)
    shade = 1 + TEXTURE_AMPLITUDE * np.sin(TEXTURES[texture](pixel_y, pixel_x, rng))
    shade += rng.normal(0, 0.02, size=y.shape)
    return np.clip(rgb * shade[..., None], 0, 255).astype(np.uint8)
