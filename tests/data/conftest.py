"""A hand-built Polyvore Outfits folder in the release's exact layout, small enough to know
every parsed value by heart."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from PIL import Image

# item_id -> (semantic_category, category_id, title)
ITEMS: dict[str, tuple[str, str, str]] = {
    "213343990": ("tops", "11", ""),  # the release has empty titles
    "213343991": ("bottoms", "27", "high waist jeans"),
    "213343992": ("shoes", "41", "white sneakers"),
    "213343993": ("tops", "11", "striped tee"),
    "213343994": ("bottoms", "27", "pleated skirt"),
    "213343995": ("bags", "35", "straw tote"),
    "213343996": ("shoes", "41", "ankle boots"),
    "213343997": ("tops", "11", "silk blouse"),
    "213343998": ("bags", "35", "leather clutch"),
    "213343999": ("tops", "11", "knit sweater"),
    "213344000": ("bottoms", "27", "wide trousers"),
    "213344001": ("shoes", "41", "loafers"),
}
CATEGORIES = {
    "11": ("Tops", "tops"),
    "27": ("Jeans", "bottoms"),
    "35": ("Totes", "bags"),
    "41": ("Sneakers", "shoes"),
}

# subset -> [(set_id, [(index, item_id), ...])], written in this (unsorted) order.
OUTFITS: dict[str, list[tuple[str, list[tuple[int, str]]]]] = {
    "train": [
        ("224930161", [(4, "213343992"), (1, "213343990"), (2, "213343991")]),
        ("224930162", [(1, "213343993"), (3, "213343995"), (2, "213343994")]),
    ],
    "valid": [
        ("310000001", [(1, "213343997"), (2, "213343994"), (3, "213343996")]),
        ("310000002", [(1, "213343999"), (2, "213344000"), (3, "213344001")]),
    ],
    "test": [
        ("410000001", [(1, "213343997"), (2, "213344000"), (5, "213343996")]),
        ("410000002", [(1, "213343999"), (2, "213343991"), (3, "213344001"), (4, "213343998")]),
    ],
}
COMPATIBILITY: dict[str, list[str]] = {
    "valid": ["1 310000001_1 310000001_2 310000001_3", "0 310000001_1 310000002_2 310000001_3"],
    "test": ["1 410000001_1 410000001_2 410000001_5", "0 410000002_1 410000001_2 410000002_3"],
}
FITB: dict[str, list[dict]] = {
    "valid": [
        {
            "question": ["310000001_1", "310000001_2"],
            "answers": ["310000001_3", "310000002_3", "310000002_1", "310000002_2"],
            "blank_position": 3,
        }
    ],
    "test": [
        {
            "question": ["410000002_1", "410000002_2", "410000002_4"],
            "answers": ["410000001_5", "410000002_3", "410000001_1", "410000001_2"],
            "blank_position": 3,
        }
    ],
}
TYPESPACES = [("bags", "bottoms"), ("bottoms", "tops"), ("shoes", "tops"), ("tops", "tops")]


def write_polyvore(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    metadata = {
        item_id: {
            "url_name": f"item {item_id}",
            "description": "" if item_id.endswith("0") else "soft cotton",
            "catgeories": ["Women's Fashion", "Clothing"],  # sic, as in the release
            "title": title,
            "related": [],
            "category_id": int(category_id),  # the release writes some ids as numbers
            "semantic_category": category,
        }
        for item_id, (category, category_id, title) in ITEMS.items()
    }
    (root / "polyvore_item_metadata.json").write_text(json.dumps(metadata))
    titles = {
        set_id: {"url_name": "x", "title": f"look {set_id}"}
        for outfits in OUTFITS.values()
        for set_id, _ in outfits
    }
    titles["224930161"]["title"] = ""
    (root / "polyvore_outfit_titles.json").write_text(json.dumps(titles))
    (root / "categories.csv").write_text(
        "".join(f"{cid},{fine},{semantic}\n" for cid, (fine, semantic) in CATEGORIES.items())
    )
    images = root / "images"
    images.mkdir(exist_ok=True)
    for n, item_id in enumerate(ITEMS):
        Image.new("RGB", (8, 8), (20 * n, 100, 200)).save(images / f"{item_id}.jpg", "JPEG")
    for split in ("nondisjoint", "disjoint"):
        folder = root / split
        folder.mkdir(exist_ok=True)
        for subset, outfits in OUTFITS.items():
            rows = [
                {"set_id": set_id, "items": [{"item_id": i, "index": k} for k, i in members]}
                for set_id, members in outfits
            ]
            (folder / f"{subset}.json").write_text(json.dumps(rows))
        for subset, lines in COMPATIBILITY.items():
            (folder / f"compatibility_{subset}.txt").write_text("\n".join(lines) + "\n")
        for subset, questions in FITB.items():
            (folder / f"fill_in_blank_{subset}.json").write_text(json.dumps(questions))
        with (folder / "typespaces.p").open("wb") as handle:
            pickle.dump(TYPESPACES, handle)
    return root


@pytest.fixture
def polyvore_root(tmp_path: Path) -> Path:
    return write_polyvore(tmp_path / "polyvore_outfits")
