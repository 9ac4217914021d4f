"""Writing a built sample catalog to disk in the Polyvore Outfits layout."""

from __future__ import annotations

import itertools
import json
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from model.data.types import POLYVORE_TYPES, SPLITS, SUBSETS
from model.io import atomic_directory
from model.sample.draw import render_item
from model.sample.rules import COLOURS, FINE_CATEGORIES

if TYPE_CHECKING:
    from model.sample.generate import Sample

# Image jitter has its own seed stream per item, apart from the catalog's draws, so that an
# item's photo depends only on the seed and its position in the catalog.
_IMAGE_STREAM = 7


def _write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj), encoding="utf-8")


def _write_images(sample: Sample, images: Path) -> None:
    images.mkdir()
    for k, item in enumerate(sample.items):
        colours = tuple(COLOURS[c].rgb for c in (item.colour, *item.accents))
        rng = np.random.default_rng([sample.seed, _IMAGE_STREAM, k])
        image = render_item(
            item.fine.name, item.pattern, item.texture, colours, sample.config.image_size, rng
        )
        image.save(images / f"{item.item_id}.jpg", "JPEG", quality=sample.config.jpeg_quality)


def _write_split(sample: Sample, split: str, folder: Path) -> None:
    folder.mkdir()
    for subset in SUBSETS:
        outfits = [
            {
                "set_id": o.set_id,
                "items": [
                    {"item_id": i, "index": n} for i, n in zip(o.item_ids, o.indices, strict=True)
                ],
            }
            for o in sample.outfits[split][subset]
        ]
        _write_json(folder / f"{subset}.json", outfits)
        _write_json(folder / f"fill_in_blank_{subset}.json", sample.fitb[split][subset])
        lines = sample.compatibility[split][subset]
        (folder / f"compatibility_{subset}.txt").write_text("\n".join(lines) + "\n")
    # Plain tuples of str at protocol 2, what the reference code's loader expects; every
    # unordered pair of types, same-type pairs included.
    pairs = list(itertools.combinations_with_replacement(POLYVORE_TYPES, 2))
    (folder / "typespaces.p").write_bytes(pickle.dumps(pairs, protocol=2))


def _write_all(sample: Sample, root: Path) -> None:
    items = sorted(sample.items, key=lambda i: i.item_id)
    _write_json(root / "polyvore_item_metadata.json", {i.item_id: i.metadata() for i in items})
    _write_json(root / "polyvore_outfit_titles.json", sample.outfit_titles)
    rows = sorted(FINE_CATEGORIES, key=lambda f: int(f.category_id))
    (root / "categories.csv").write_text(
        "".join(f"{f.category_id},{f.name},{f.semantic}\n" for f in rows)
    )
    _write_images(sample, root / "images")
    for split in SPLITS:
        _write_split(sample, split, root / split)


def write_layout(sample: Sample, out: Path) -> None:
    """Write into a hidden sibling folder, then rename it to `out`: a reader never sees a
    half-written catalog, and an interrupted run leaves `out` untouched."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"{out} exists and is not an empty folder: pick a new --out")
    with atomic_directory(out) as staging:
        _write_all(sample, staging)
