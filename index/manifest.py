"""The bundle manifest: what was built, from which model, and checks that it still holds."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from index.config import IndexConfig, Layout

# 2: layouts, index configs, per-index search parameters, removed rows and tombstones
FORMAT_VERSION = 2
MANIFEST = "manifest.json"


class BundleError(Exception):
    """An artifact bundle that cannot be served; the message says what is wrong."""


class IndexEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())
    type: str
    file: str
    factory: str  # as handed to faiss.index_factory, IDMap2 included
    metric: str
    dim: int
    count: int  # vectors in the index (ntotal), tombstones included
    # removed items still inside the index (HNSW cannot remove); filtered out at search time
    tombstones: int = 0
    search_params: dict[str, int]  # nprobe / efSearch the index searches with
    model_hash: str
    build_seconds: float
    sha256: str


class Calibration(BaseModel):
    """Platt scaling of the mean outfit distance: p = sigmoid(slope * distance + intercept)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    slope: float
    intercept: float
    fitted_on: str
    n: int


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", protected_namespaces=())
    format_version: int = FORMAT_VERSION
    model_hash: str
    created: str
    updated: str | None = None  # last add/remove of items (index/mutate.py)
    split: str
    types: list[str]
    embedding_dim: int
    n_items: int
    distance: str
    normalize_spaces: bool
    layout: Layout
    index_config: IndexConfig
    n_removed: int  # rows of items.json listed in removed.npy: never returned by a search
    calibration: Calibration
    files: dict[str, str]  # name -> sha256 of the side files (items, embeddings, masks, removed)
    indices: list[IndexEntry]
    build_seconds: float


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(bundle: Path) -> Manifest:
    path = bundle / MANIFEST
    if not path.is_file():
        raise BundleError(f"{bundle} has no {MANIFEST}: build it with `lookbook build-index`")
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BundleError(f"{path} is not a valid manifest: {exc}") from exc
    if manifest.format_version != FORMAT_VERSION:
        raise BundleError(
            f"{path}: format version {manifest.format_version}, this build reads "
            f"{FORMAT_VERSION}: rebuild the bundle with this version's `lookbook build-index`"
        )
    return manifest


def verify_files(bundle: Path, manifest: Manifest) -> None:
    """Every file present with the hash the manifest recorded: a half-copied or swapped bundle
    is refused rather than served."""
    expected = dict(manifest.files) | {e.file: e.sha256 for e in manifest.indices}
    for name, sha in expected.items():
        path = bundle / name
        if not path.is_file():
            raise BundleError(f"{bundle}: {name} is missing; rebuild the bundle")
        if file_sha256(path) != sha:
            raise BundleError(f"{bundle}: {name} does not match its manifest hash; rebuild it")
