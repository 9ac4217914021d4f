"""New stock and withdrawn stock without a rebuild.

Rows are never renumbered, since FAISS ids are catalog rows: an added item gets the next row
(items.json and embeddings.npy grow), a removed one keeps its row, is listed in removed.npy
and is never returned by a search again (it may still appear in a customer's outfit).
Flat and IVF indices drop removed vectors in place; HNSW keeps them as tombstones that the
search filters by id selector (index/factory.py), so an HNSW index with many removals is
worth rebuilding: its graph still spends time on them.

Each call reads the bundle, writes the changed files into a staging copy (unchanged files
are hard links), updates the manifest's counts and hashes, and swaps the copy into place
under the bundle lock: a reader sees the old bundle or the new one, never a mix. A server
sees the change when it loads the bundle again.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from index.bundle import (
    MODEL_FOLDER,
    bundle_lock,
    staging_dir,
    type_vectors,
    write_index,
    write_manifest,
)
from index.factory import remove_ids
from index.manifest import IndexEntry, Manifest, file_sha256, read_manifest, verify_files
from model.io import atomic_save_numpy, atomic_write_text


def add_items(bundle: Path, items: list[dict], embeddings: np.ndarray) -> Manifest:
    """Append `items` (item_id, type, optional category_id, title, url_name) with their general
    embeddings, computed by the bundle's model (`manifest.model_hash`)."""
    bundle = Path(bundle)
    with bundle_lock(bundle):
        manifest, catalog = _read(bundle)
        embeddings = np.ascontiguousarray(embeddings, dtype=np.float32)
        if embeddings.shape != (len(items), manifest.embedding_dim):
            raise ValueError(f"embeddings have shape {embeddings.shape}, expected "
                             f"{(len(items), manifest.embedding_dim)} for {len(items)} items")
        new = [_public(item, manifest) for item in items]
        _check_new_ids(new, catalog["items"], catalog["removed"])
        first = len(catalog["items"])
        all_embeddings = np.concatenate([catalog["embeddings"], embeddings])
        new_types = np.array([manifest.types.index(i["type"]) for i in new], dtype=np.int64)
        with staging_dir(bundle) as staging:
            entries = []
            for t, entry in enumerate(manifest.indices):
                rows = first + np.flatnonzero(new_types == t)
                if not len(rows):
                    entries.append(_keep(bundle, staging, entry))
                    continue
                index = faiss.read_index(str(bundle / entry.file))
                if not index.is_trained:
                    raise ValueError(f"index for type {entry.type!r} was never trained (the "
                                     "type had no items at build time): rebuild the bundle")
                vectors = type_vectors(manifest.layout, all_embeddings, rows, t,
                                       catalog["masks"], manifest.normalize_spaces)
                index.add_with_ids(vectors, rows)
                entries.append(_rewritten(staging, entry, index))
            atomic_write_text(staging / "items.json", json.dumps(catalog["items"] + new))
            atomic_save_numpy(staging / "embeddings.npy", all_embeddings)
            for name in ("masks.npy", "removed.npy"):
                _link(bundle / name, staging / name)
            _carry_model(bundle, staging)
            return _finish(staging, manifest, entries, n_items=first + len(new),
                           n_removed=manifest.n_removed)


def remove_items(bundle: Path, item_ids: Iterable[str]) -> Manifest:
    """Withdraw live items by id; unknown or already removed ids are refused, naming them."""
    bundle = Path(bundle)
    with bundle_lock(bundle):
        manifest, catalog = _read(bundle)
        live = _live_rows(catalog["items"], catalog["removed"])
        item_ids = list(dict.fromkeys(item_ids))
        missing = [i for i in item_ids if i not in live]
        if missing:
            shown = ", ".join(repr(i) for i in missing[:5])
            raise KeyError(f"no live catalog item with id {shown}: nothing was removed")
        rows = np.array(sorted(live[i] for i in item_ids), dtype=np.int64)
        types = np.array([manifest.types.index(catalog["items"][r]["type"]) for r in rows])
        with staging_dir(bundle) as staging:
            entries = []
            for t, entry in enumerate(manifest.indices):
                gone = rows[types == t]
                if not len(gone):
                    entries.append(_keep(bundle, staging, entry))
                    continue
                index = faiss.read_index(str(bundle / entry.file))
                if remove_ids(index, gone):
                    entries.append(_rewritten(staging, entry, index))
                else:
                    kept = _keep(bundle, staging, entry)
                    entries.append(kept.model_copy(
                        update={"tombstones": kept.tombstones + len(gone)}))
            removed = np.union1d(catalog["removed"], rows).astype(np.int64)
            atomic_save_numpy(staging / "removed.npy", removed)
            for name in ("items.json", "embeddings.npy", "masks.npy"):
                _link(bundle / name, staging / name)
            _carry_model(bundle, staging)
            return _finish(staging, manifest, entries, n_items=manifest.n_items,
                           n_removed=len(removed))


def _read(bundle: Path) -> tuple[Manifest, dict]:
    manifest = read_manifest(bundle)
    verify_files(bundle, manifest)
    catalog = {
        "items": json.loads((bundle / "items.json").read_text(encoding="utf-8")),
        "embeddings": np.load(bundle / "embeddings.npy", allow_pickle=False),
        "masks": np.load(bundle / "masks.npy", allow_pickle=False),
        "removed": np.load(bundle / "removed.npy", allow_pickle=False),
    }
    return manifest, catalog


def _public(item: dict, manifest: Manifest) -> dict:
    if "item_id" not in item or "type" not in item:
        raise ValueError(f"item {item!r}: give at least item_id and type")
    if item["type"] not in manifest.types:
        raise ValueError(f"item {item['item_id']!r}: type {item['type']!r} is not one of "
                         f"{', '.join(manifest.types)}")
    return {"item_id": item["item_id"], "type": item["type"],
            "category_id": item.get("category_id", ""), "title": item.get("title", ""),
            "url_name": item.get("url_name", "")}


def _live_rows(items: list[dict], removed: np.ndarray) -> dict[str, int]:
    gone = set(removed.tolist())
    live = {}
    for row, item in enumerate(items):
        if row not in gone:
            live[item["item_id"]] = row
    return live


def _check_new_ids(new: list[dict], items: list[dict], removed: np.ndarray) -> None:
    ids = [i["item_id"] for i in new]
    if len(set(ids)) != len(ids):
        raise ValueError("items: an item_id appears more than once")
    clash = [i for i in ids if i in _live_rows(items, removed)]
    if clash:
        shown = ", ".join(repr(i) for i in clash[:5])
        raise ValueError(f"items {shown} are already in the catalog: remove them first to "
                         "replace them")


def _link(source: Path, target: Path) -> None:
    """Unchanged files cost nothing to carry over; copy where hard links are refused."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _carry_model(bundle: Path, staging: Path) -> None:
    """New stock changes the catalog, not the network: uploads keep working after a change."""
    if (bundle / MODEL_FOLDER).is_dir():
        shutil.copytree(bundle / MODEL_FOLDER, staging / MODEL_FOLDER, copy_function=_link)


def _keep(bundle: Path, staging: Path, entry: IndexEntry) -> IndexEntry:
    _link(bundle / entry.file, staging / entry.file)
    return entry


def _rewritten(staging: Path, entry: IndexEntry, index: faiss.Index) -> IndexEntry:
    path = staging / entry.file
    write_index(index, path)
    return entry.model_copy(update={"count": int(index.ntotal), "sha256": file_sha256(path)})


def _finish(staging: Path, manifest: Manifest, entries: list[IndexEntry], *, n_items: int,
            n_removed: int) -> Manifest:
    files = {name: file_sha256(staging / name) for name in manifest.files}
    updated = manifest.model_copy(update={
        "n_items": n_items, "n_removed": n_removed, "files": files, "indices": entries,
        "updated": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    # model_copy skips validation; a round trip makes sure the manifest still reads back
    updated = Manifest.model_validate_json(updated.model_dump_json())
    write_manifest(staging, updated)
    return updated
