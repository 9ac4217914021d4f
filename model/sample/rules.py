"""The hidden style rules of the sample catalog: colours, styles, fine categories and how an
outfit is composed. The generator reads only these tables, so docs/sample-catalog.md can
describe the catalog by pointing at this file."""

from __future__ import annotations

import math
from dataclasses import dataclass

from model.data.types import POLYVORE_TYPES


@dataclass(frozen=True)
class Colour:
    name: str
    rgb: tuple[int, int, int]


@dataclass(frozen=True)
class Style:
    name: str
    palette: tuple[str, ...]  # colour names; palettes overlap on purpose
    patterns: tuple[tuple[str, float], ...]  # (pattern, weight)
    texture: str
    formality: float  # 0 = athletic, 1 = office; picks the fine categories the style wears
    all_body_rate: float  # share of outfits built on a dress or jumpsuit
    outerwear_rate: float


@dataclass(frozen=True)
class FineCategory:
    category_id: str
    name: str
    plural: str
    semantic: str
    formality: float


# Every channel of "white" stays below the colour histogram's background threshold (235),
# so a white garment still counts as foreground, as a real ivory shirt would.
COLOURS: dict[str, Colour] = {
    c.name: c
    for c in (
        Colour("navy", (32, 42, 86)),
        Colour("white", (228, 226, 220)),
        Colour("black", (34, 34, 38)),
        Colour("grey", (138, 140, 146)),
        Colour("camel", (190, 150, 100)),
        Colour("burgundy", (118, 30, 48)),
        Colour("olive", (104, 108, 48)),
        Colour("red", (204, 40, 44)),
        Colour("green", (36, 118, 70)),
        Colour("pink", (236, 146, 172)),
        Colour("sky blue", (138, 182, 226)),
        Colour("mustard", (212, 164, 38)),
        Colour("cream", (232, 218, 184)),
        Colour("lavender", (176, 156, 214)),
    )
}

# Patterns draw their second and third colours from these neutrals, whatever the style: an
# accent colour says nothing about style, so colour look-alikes of an item exist in every
# style that shares its main colour.
ACCENT_COLOURS: tuple[str, ...] = ("white", "black", "cream", "grey")

# Each colour belongs to two to four styles, so the colour of one item never names its style:
# the pattern and texture (and the fine category) do.
STYLES: tuple[Style, ...] = (
    Style(
        "classic",
        ("navy", "white", "black", "grey", "camel", "burgundy", "olive"),
        (("solid", 0.3), ("pinstripe", 0.25), ("windowpane", 0.2), ("houndstooth", 0.25)),
        "twill",
        formality=0.85,
        all_body_rate=0.25,
        outerwear_rate=0.5,
    ),
    Style(
        "preppy",
        ("navy", "white", "red", "green", "pink", "camel", "sky blue"),
        (("argyle", 0.3), ("stripes", 0.3), ("gingham", 0.25), ("plaid", 0.15)),
        "knit",
        formality=0.6,
        all_body_rate=0.2,
        outerwear_rate=0.4,
    ),
    Style(
        "boho",
        ("mustard", "olive", "cream", "burgundy", "camel", "green", "black"),
        (("diamonds", 0.35), ("chevron", 0.35), ("floral", 0.3)),
        "woven",
        formality=0.35,
        all_body_rate=0.35,
        outerwear_rate=0.3,
    ),
    Style(
        "sporty",
        ("black", "white", "grey", "red", "navy", "lavender", "mustard"),
        (("solid", 0.3), ("double-stripe", 0.3), ("colour-block", 0.4)),
        "mesh",
        formality=0.1,
        all_body_rate=0.1,
        outerwear_rate=0.3,
    ),
    Style(
        "romantic",
        ("pink", "lavender", "cream", "white", "sky blue", "burgundy", "grey"),
        (("dots", 0.4), ("ditsy", 0.35), ("solid", 0.25)),
        "satin",
        formality=0.55,
        all_body_rate=0.45,
        outerwear_rate=0.3,
    ),
)

FINE_CATEGORIES: tuple[FineCategory, ...] = (
    FineCategory("104", "t-shirt", "t-shirts", "tops", 0.1),
    FineCategory("105", "tank top", "tank tops", "tops", 0.2),
    FineCategory("106", "sweater", "sweaters", "tops", 0.45),
    FineCategory("107", "blouse", "blouses", "tops", 0.6),
    FineCategory("108", "shirt", "shirts", "tops", 0.85),
    FineCategory("236", "shorts", "shorts", "bottoms", 0.1),
    FineCategory("237", "jeans", "jeans", "bottoms", 0.3),
    FineCategory("238", "skirt", "skirts", "bottoms", 0.55),
    FineCategory("239", "trousers", "trousers", "bottoms", 0.8),
    FineCategory("3", "jumpsuit", "jumpsuits", "all-body", 0.3),
    FineCategory("4", "dress", "dresses", "all-body", 0.65),
    FineCategory("25", "jacket", "jackets", "outerwear", 0.3),
    FineCategory("26", "coat", "coats", "outerwear", 0.65),
    FineCategory("27", "blazer", "blazers", "outerwear", 0.85),
    FineCategory("41", "sneakers", "sneakers", "shoes", 0.05),
    FineCategory("42", "sandals", "sandals", "shoes", 0.35),
    FineCategory("43", "boots", "boots", "shoes", 0.5),
    FineCategory("44", "heels", "heels", "shoes", 0.85),
    FineCategory("37", "backpack", "backpacks", "bags", 0.1),
    FineCategory("38", "tote", "totes", "bags", 0.4),
    FineCategory("39", "shoulder bag", "shoulder bags", "bags", 0.6),
    FineCategory("40", "clutch", "clutches", "bags", 0.85),
    FineCategory("51", "cap", "caps", "hats", 0.05),
    FineCategory("52", "beanie", "beanies", "hats", 0.3),
    FineCategory("53", "sun hat", "sun hats", "hats", 0.5),
    FineCategory("54", "fedora", "fedoras", "hats", 0.8),
    FineCategory("61", "bandana", "bandanas", "scarves", 0.2),
    FineCategory("62", "scarf", "scarves", "scarves", 0.6),
    FineCategory("71", "round sunglasses", "round sunglasses", "sunglasses", 0.3),
    FineCategory("72", "square sunglasses", "square sunglasses", "sunglasses", 0.7),
    FineCategory("81", "bracelet", "bracelets", "jewellery", 0.3),
    FineCategory("82", "necklace", "necklaces", "jewellery", 0.6),
    FineCategory("83", "earrings", "earrings", "jewellery", 0.75),
    FineCategory("91", "watch", "watches", "accessories", 0.3),
    FineCategory("92", "belt", "belts", "accessories", 0.7),
)
FINE_BY_SEMANTIC: dict[str, tuple[FineCategory, ...]] = {
    t: tuple(f for f in FINE_CATEGORIES if f.semantic == t) for t in POLYVORE_TYPES
}

# Share of the catalog per semantic category: roughly how often outfits use it, with a floor
# so that rare categories still hold several items of every style and colour.
CATEGORY_SHARE: dict[str, float] = {
    "tops": 0.15,
    "bottoms": 0.13,
    "all-body": 0.07,
    "outerwear": 0.08,
    "shoes": 0.16,
    "bags": 0.11,
    "jewellery": 0.09,
    "accessories": 0.06,
    "hats": 0.05,
    "scarves": 0.05,
    "sunglasses": 0.05,
}

# Probability that an outfit includes each optional category (after the body and shoes).
OPTIONAL_RATES: dict[str, float] = {
    "bags": 0.6,
    "jewellery": 0.4,
    "accessories": 0.3,
    "hats": 0.15,
    "scarves": 0.12,
    "sunglasses": 0.15,
}
SHOES_RATE = 0.9
# Jewellery and accessories are the categories Polyvore outfits often hold twice of.
SECOND_ITEM_RATE: dict[str, float] = {"jewellery": 0.25, "accessories": 0.2}
OUTFIT_PALETTE_SIZE = 3  # colours an outfit draws its items' main colours from
MIN_OUTFIT_ITEMS = 3
MAX_OUTFIT_ITEMS = 8


def fine_category_weights(style: Style, semantic: str) -> list[float]:
    """How likely the style is to wear each fine category of `semantic`: a Gaussian in the
    gap between the style's and the garment's formality, floored so that nothing is banned."""
    return [
        max(0.05, math.exp(-(((style.formality - f.formality) / 0.25) ** 2)))
        for f in FINE_BY_SEMANTIC[semantic]
    ]
