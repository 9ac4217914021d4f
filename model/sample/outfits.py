"""Outfits of the sample catalog, and their cut into train/valid/test for both splits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from model.sample.catalog import SampleItem
from model.sample.rules import (
    MAX_OUTFIT_ITEMS,
    MIN_OUTFIT_ITEMS,
    OPTIONAL_RATES,
    OUTFIT_PALETTE_SIZE,
    SECOND_ITEM_RATE,
    SHOES_RATE,
    STYLES,
    Style,
)

# The order items are listed in an outfit, as a shop page would show them.
LISTING_ORDER = (
    "outerwear",
    "tops",
    "all-body",
    "bottoms",
    "shoes",
    "bags",
    "scarves",
    "hats",
    "sunglasses",
    "jewellery",
    "accessories",
)
_OPTIONAL = tuple(OPTIONAL_RATES)


@dataclass(frozen=True)
class SampleOutfit:
    set_id: str
    style: str  # hidden, like the items' style
    item_ids: tuple[str, ...]
    indices: tuple[int, ...]  # 1-based, increasing, sometimes with gaps


def compose(style: Style, rng: np.random.Generator) -> list[str]:
    """The semantic categories of one outfit, in listing order."""
    body = ["all-body"] if rng.random() < style.all_body_rate else ["tops", "bottoms"]
    slots = list(body)
    if rng.random() < style.outerwear_rate:
        slots.append("outerwear")
    if rng.random() < SHOES_RATE:
        slots.append("shoes")
    for category, rate in OPTIONAL_RATES.items():
        if rng.random() < rate:
            slots.append(category)
            if rng.random() < SECOND_ITEM_RATE.get(category, 0.0):
                slots.append(category)
    missing = [c for c in ("shoes", *_OPTIONAL) if c not in slots]
    while len(slots) < MIN_OUTFIT_ITEMS:
        slots.append(missing.pop(0))
    while len(slots) > MAX_OUTFIT_ITEMS:
        # Drop only optional categories: an outfit without a body or shoes looks unfinished.
        droppable = [k for k, c in enumerate(slots) if c not in (*body, "shoes")]
        slots.pop(droppable[rng.integers(len(droppable))])
    return sorted(slots, key=LISTING_ORDER.index)


def _indices(n: int, gap_rate: float, rng: np.random.Generator) -> tuple[int, ...]:
    if rng.random() >= gap_rate:
        return tuple(range(1, n + 1))
    # Index 1 stays: in the release indices start at 1, and skip where items were removed.
    rest = np.sort(rng.choice(np.arange(2, n + 3), size=n - 1, replace=False))
    return (1, *(int(i) for i in rest))


class _Pool:
    """The items outfits may draw from, looked up by style, category and colour."""

    def __init__(self, items: list[SampleItem]) -> None:
        self.by_category: dict[tuple[str, str], list[SampleItem]] = defaultdict(list)
        self.by_colour: dict[tuple[str, str, str], list[SampleItem]] = defaultdict(list)
        for item in items:
            self.by_category[item.style, item.semantic].append(item)
            self.by_colour[item.style, item.semantic, item.colour].append(item)

    def pick(self, style: str, semantic: str, palette, used: set[str], rng) -> SampleItem | None:
        """An unused item of the style and category, in the outfit's palette when one exists."""
        for colour in rng.permutation(palette):
            choices = [i for i in self.by_colour[style, semantic, colour] if i.item_id not in used]
            if choices:
                return choices[rng.integers(len(choices))]
        choices = [i for i in self.by_category[style, semantic] if i.item_id not in used]
        return choices[rng.integers(len(choices))] if choices else None


# Categories that can complete an outfit a small pool could not fully dress.
_FILLERS = ("shoes", "bags", "outerwear", "jewellery", "accessories", "hats", "scarves")


def _dress(style: Style, pool: _Pool, rng: np.random.Generator) -> list[SampleItem]:
    palette = rng.choice(style.palette, size=OUTFIT_PALETTE_SIZE, replace=False)
    chosen: list[SampleItem] = []
    for semantic in compose(style, rng):
        item = pool.pick(style.name, semantic, palette, {i.item_id for i in chosen}, rng)
        if item is not None:
            chosen.append(item)
    for semantic in _FILLERS:
        if len(chosen) >= MIN_OUTFIT_ITEMS:
            break
        if all(i.semantic != semantic for i in chosen):
            item = pool.pick(style.name, semantic, palette, set(), rng)
            if item is not None:
                chosen.append(item)
    return sorted(chosen, key=lambda i: LISTING_ORDER.index(i.semantic))


def draw_outfits(
    items: list[SampleItem],
    set_ids: list[str],
    gap_rate: float,
    rng: np.random.Generator,
) -> list[SampleOutfit]:
    """One outfit per set id, each of one style, from `items` only."""
    pool = _Pool(items)
    outfits = []
    for set_id in set_ids:
        # A small pool may lack a style's categories: fall back on the other styles.
        for k in rng.permutation(len(STYLES)):
            style = STYLES[k]
            chosen = _dress(style, pool, rng)
            if len(chosen) >= MIN_OUTFIT_ITEMS:
                break
        else:
            raise ValueError(
                f"the item pool ({len(items)} items) is too small to dress any outfit with "
                f"{MIN_OUTFIT_ITEMS} items; raise n_items"
            )
        ids = tuple(i.item_id for i in chosen)
        outfits.append(SampleOutfit(set_id, style.name, ids, _indices(len(ids), gap_rate, rng)))
    return outfits


def subset_sizes(n: int, fractions: tuple[float, float, float]) -> tuple[int, int, int]:
    n_valid = round(n * fractions[1])
    n_test = round(n * fractions[2])
    return n - n_valid - n_test, n_valid, n_test


def item_pools(
    items: list[SampleItem], fractions: tuple[float, float, float], rng: np.random.Generator
) -> tuple[list[SampleItem], list[SampleItem], list[SampleItem]]:
    """Disjoint train/valid/test item pools, each cut per style and category so that every
    pool can still dress every style."""
    groups: dict[tuple[str, str], list[SampleItem]] = defaultdict(list)
    for item in items:
        groups[item.style, item.semantic].append(item)
    pools: tuple[list[SampleItem], ...] = ([], [], [])
    for key in sorted(groups):
        group = groups[key]
        order = rng.permutation(len(group))
        n_train, n_valid, n_test = subset_sizes(len(group), fractions)
        if len(group) >= 3:
            # Small groups still give valid and test one item each, or their outfits go bare.
            n_valid, n_test = max(n_valid, 1), max(n_test, 1)
            n_train = len(group) - n_valid - n_test
        for rank, k in enumerate(order):
            pool = 0 if rank < n_train else 1 if rank < n_train + n_valid else 2
            pools[pool].append(group[k])
    return pools
