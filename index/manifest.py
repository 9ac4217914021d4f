"""The bundle manifest: what was built, from which model, and checks that it still holds."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from index.config import IndexConfig, Layout

# 2: layouts, index configs, per-index search parameters, removed rows and tombstones
# 3: the factored layout (the Flat default) and items' url_name in items.json
FORMAT_VERSION = 3
# Versions this code still serves: a version 2 bundle holds nothing version 3 reads
# differently (its layouts are read as they were; items without url_name get an empty one).
READABLE_VERSIONS = (2, 3)
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
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BundleError(f"{path} is not a valid manifest: {exc}") from exc
    if not isinstance(raw, dict):
        raise BundleError(f"{path} is not a valid manifest: expected a JSON object; rebuild "
                          "the bundle with `lookbook build-index`")
    # The version first: a bundle of another version may not fit this code's schema, and
    # "built by a newer version" says more than the schema error it would raise
    check_format_version(path, raw.get("format_version"))
    try:
        return Manifest.model_validate(raw)
    except ValueError as exc:
        raise BundleError(f"{path} is not a valid manifest: {exc}") from exc


def check_format_version(path: Path, version: object) -> None:
    """Refuse a manifest this code cannot read, saying which version it has, which versions
    this code reads, and what to do."""
    reads = " and ".join(map(str, READABLE_VERSIONS))
    rebuild = "rebuild the bundle with this version's `lookbook build-index`"
    # bool is an int to Python, not a version
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleError(f"{path}: format_version is {version!r}, not a version number (this "
                          f"code reads format versions {reads}); {rebuild}")
    if version in READABLE_VERSIONS:
        return
    if version > FORMAT_VERSION:
        raise BundleError(f"{path}: the bundle has format version {version}, built by a newer "
                          f"version of Lookbook; this code reads format versions {reads}: "
                          f"upgrade Lookbook, or {rebuild}")
    raise BundleError(f"{path}: the bundle has format version {version}, older than this code "
                      f"reads (format versions {reads}): {rebuild}")


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
