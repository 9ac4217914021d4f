"""New stock for a built bundle: items read from a Polyvore-layout folder (metadata and
images), embedded by the bundle's own exported model, then added; or items withdrawn."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.bundle import MODEL_FOLDER
from index.manifest import Manifest
from index.mutate import add_items
from model.features import load_image


def add_from_folder(bundle: Path, data_root: Path, item_ids: list[str],
                    batch_size: int = 32) -> Manifest:
    """Embed `item_ids` of `data_root` (metadata + images/<id>.jpg) and add them to `bundle`."""
    from model.export import load_exported

    bundle, data_root = Path(bundle), Path(data_root)
    if not (bundle / MODEL_FOLDER).is_dir():
        raise ValueError(f"{bundle} has no {MODEL_FOLDER}/ to embed new items with: rebuild it "
                         "with this version's `lookbook build-index`")
    metadata_path = data_root / "polyvore_item_metadata.json"
    try:
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read {metadata_path}: {exc}") from exc
    missing = [i for i in item_ids if i not in metadata]
    if missing:
        raise ValueError(f"{metadata_path} has no item {', '.join(map(repr, missing[:5]))}")
    model = load_exported(bundle / MODEL_FOLDER)
    items = [{"item_id": i, "type": metadata[i].get("semantic_category", ""),
              "category_id": str(metadata[i].get("category_id", "")),
              # str(): the response model wants text, whatever a tool wrote there
              "title": str(metadata[i].get("title") or ""),
              "url_name": str(metadata[i].get("url_name") or "")} for i in item_ids]
    embeddings = []
    for start in range(0, len(item_ids), batch_size):
        chunk = item_ids[start : start + batch_size]
        images = [load_image(data_root / "images" / f"{i}.jpg") for i in chunk]
        embeddings.append(model.embed_images(images).numpy())
    return add_items(bundle, items, np.concatenate(embeddings) if embeddings else
                     np.zeros((0, model.head.cfg.embedding_dim), dtype=np.float32))
