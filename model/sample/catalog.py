"""The sample catalog: items with their hidden style, colours, pattern, and the plain words
of their title and description."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from model.data.types import POLYVORE_TYPES
from model.sample.fabric import ACCENT_SHARE
from model.sample.rules import (
    ACCENT_COLOURS,
    CATEGORY_SHARE,
    FINE_BY_SEMANTIC,
    STYLES,
    FineCategory,
    fine_category_weights,
)

PATTERN_WORDS = {
    "solid": "",
    "stripes": "striped",
    "pinstripe": "pinstripe",
    "windowpane": "windowpane check",
    "houndstooth": "houndstooth",
    "argyle": "argyle",
    "gingham": "gingham",
    "plaid": "plaid",
    "floral": "floral",
    "ditsy": "ditsy floral",
    "chevron": "chevron",
    "diamonds": "diamond print",
    "dots": "polka dot",
    "colour-block": "colour-block",
    "double-stripe": "double stripe",
}
MATERIAL_WORDS = {
    "twill": "cotton twill",
    "knit": "soft knit",
    "woven": "loose weave",
    "mesh": "technical mesh",
    "satin": "silky satin",
}
DEPARTMENTS = {
    "tops": "Clothing",
    "bottoms": "Clothing",
    "all-body": "Clothing",
    "outerwear": "Clothing",
    "shoes": "Shoes",
    "bags": "Bags",
    "hats": "Accessories",
    "scarves": "Accessories",
    "sunglasses": "Accessories",
    "accessories": "Accessories",
    "jewellery": "Jewelry",
}


@dataclass(frozen=True)
class SampleItem:
    item_id: str
    style: str  # hidden: never written to the dataset files
    fine: FineCategory
    colour: str  # main colour name
    accents: tuple[str, str]  # the pattern's second and third colour names
    pattern: str
    texture: str
    title: str
    description: str
    url_name: str  # a slug of the product's name, kept where the title is blanked

    @property
    def semantic(self) -> str:
        return self.fine.semantic

    def colour_mix(self) -> dict[str, float]:
        """Rough share of the garment in each colour name."""
        accent, third = ACCENT_SHARE[self.pattern]
        mix = {self.colour: 1.0 - accent - third}
        for name, share in zip(self.accents, (accent, third), strict=True):
            mix[name] = mix.get(name, 0.0) + share
        return mix

    def metadata(self) -> dict:
        """The item's record in polyvore_item_metadata.json."""
        pattern = PATTERN_WORDS[self.pattern]
        related = [f"{self.colour} {self.fine.name}"]
        if pattern:
            related.append(f"{pattern} {self.fine.plural}")
        return {
            "url_name": self.url_name,
            "description": self.description,
            "catgeories": [DEPARTMENTS[self.semantic], self.fine.plural.capitalize()],
            "title": self.title,
            "related": related,
            "category_id": self.fine.category_id,
            "semantic_category": self.semantic,
        }


def unique_ids(rng: np.random.Generator, n: int, taken: set[str] | None = None) -> list[str]:
    """`n` distinct 9-digit ids, none in `taken` (which they are added to), in a seeded order."""
    taken = set() if taken is None else taken
    out: list[str] = []
    while len(out) < n:
        for value in rng.integers(100_000_000, 1_000_000_000, size=2 * (n - len(out))):
            key = str(value)
            if key not in taken:
                taken.add(key)
                out.append(key)
                if len(out) == n:
                    break
    return out


def _category_counts(n_items: int) -> dict[str, int]:
    """Items per semantic category, summing to n_items (largest remainders get the rest)."""
    total = sum(CATEGORY_SHARE.values())
    exact = {t: n_items * CATEGORY_SHARE[t] / total for t in POLYVORE_TYPES}
    counts = {t: int(v) for t, v in exact.items()}
    by_remainder = sorted(POLYVORE_TYPES, key=lambda t: counts[t] - exact[t])
    for t in by_remainder[: n_items - sum(counts.values())]:
        counts[t] += 1
    return counts


def _slug(name: str) -> str:
    """Polyvore's url_name form: lower case, words joined by hyphens ("Striped t-shirt" ->
    "striped-t-shirt")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _texts(fine: FineCategory, colour: str, accent: str, pattern: str, texture: str, rng):
    words = PATTERN_WORDS[pattern]
    title = " ".join(w for w in (colour, words, fine.name) if w).capitalize()
    description = f"A {colour} {fine.name}"
    if words:
        description += f" with a {words} pattern in {accent}"
    if rng.random() < 0.5:
        description += f", made of {MATERIAL_WORDS[texture]}"
    return title, description + "."


def build_catalog(
    n_items: int, empty_text_rate: float, rng: np.random.Generator
) -> list[SampleItem]:
    """Items of every semantic category, evenly spread over the styles."""
    ids = unique_ids(rng, n_items)
    items: list[SampleItem] = []
    for semantic, count in _category_counts(n_items).items():
        fines = FINE_BY_SEMANTIC[semantic]
        for k in range(count):
            style = STYLES[k % len(STYLES)]
            weights = np.asarray(fine_category_weights(style, semantic))
            fine = fines[rng.choice(len(fines), p=weights / weights.sum())]
            colour = str(rng.choice(style.palette))
            neutrals = [c for c in ACCENT_COLOURS if c != colour]
            accent, third = rng.choice(neutrals, size=2, replace=False)
            names, pattern_weights = zip(*style.patterns, strict=True)
            pattern = str(rng.choice(names, p=np.asarray(pattern_weights) / sum(pattern_weights)))
            title, description = _texts(fine, str(colour), str(accent), pattern, style.texture, rng)
            # the release's url_name is there even where its title is empty: made before blanking
            url_name = _slug(title)
            if rng.random() < empty_text_rate:
                title = ""
            if rng.random() < empty_text_rate:
                description = ""
            items.append(
                SampleItem(
                    item_id=ids[len(items)],
                    style=style.name,
                    fine=fine,
                    colour=str(colour),
                    accents=(str(accent), str(third)),
                    pattern=pattern,
                    texture=style.texture,
                    title=title,
                    description=description,
                    url_name=url_name,
                )
            )
    return items
