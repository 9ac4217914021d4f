"""Plain records for the Polyvore Outfits layout, shared by the reader, the sample
generator, the sampler and the evaluator. Ids stay strings, as in the release."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# The 11 semantic categories of Polyvore Outfits, sorted: this order is the type index
# used everywhere (masks, indices, manifests).
POLYVORE_TYPES: tuple[str, ...] = (
    "accessories",
    "all-body",
    "bags",
    "bottoms",
    "hats",
    "jewellery",
    "outerwear",
    "scarves",
    "shoes",
    "sunglasses",
    "tops",
)

SPLITS: tuple[str, ...] = ("nondisjoint", "disjoint")
SUBSETS: tuple[str, ...] = ("train", "valid", "test")


@dataclass(frozen=True)
class Item:
    item_id: str
    semantic_category: str
    category_id: str = ""
    title: str = ""
    description: str = ""
    # a slug of the product's name, often there where the title is empty (model/text.py)
    url_name: str = ""


@dataclass(frozen=True)
class Outfit:
    set_id: str
    # Item ids in the order of their `index` field; indices may be non-contiguous.
    item_ids: tuple[str, ...]
    indices: tuple[int, ...]


@dataclass(frozen=True)
class FitbQuestion:
    # Resolved to catalog item ids through the outfits of the same subset.
    question: tuple[str, ...]
    answers: tuple[str, ...]
    correct: int  # position in `answers` of the candidate whose set id is the question's
    blank_position: int
    set_id: str


@dataclass(frozen=True)
class CompatibilityOutfit:
    label: int  # 1 compatible, 0 not
    item_ids: tuple[str, ...]


@dataclass
class SplitData:
    """One split (`nondisjoint` or `disjoint`): outfits and task files per subset."""

    name: str
    outfits: dict[str, list[Outfit]] = field(default_factory=dict)
    fitb: dict[str, list[FitbQuestion]] = field(default_factory=dict)
    compatibility: dict[str, list[CompatibilityOutfit]] = field(default_factory=dict)


@dataclass
class PolyvoreData:
    root: Path
    items: dict[str, Item]
    types: tuple[str, ...]  # sorted semantic categories present in the metadata
    split: SplitData
    outfit_titles: dict[str, str] = field(default_factory=dict)  # set_id -> title, may be ""
    # category_id -> (fine category, semantic category), from categories.csv when present
    categories: dict[str, tuple[str, str]] = field(default_factory=dict)

    def image_path(self, item_id: str) -> Path:
        return self.root / "images" / f"{item_id}.jpg"

    def type_index(self, item_id: str) -> int:
        return self.types.index(self.items[item_id].semantic_category)
