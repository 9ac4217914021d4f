import json
import shutil

import numpy as np
import pytest

from index.manifest import BundleError, read_manifest
from index.search import CatalogIndex


def _copy(bundle, tmp_path):
    target = tmp_path / "bundle"
    shutil.copytree(bundle, target)
    return target


def test_manifest_describes_the_bundle(pipeline):
    manifest = read_manifest(pipeline.bundle)
    catalog = CatalogIndex.load(pipeline.bundle)
    assert manifest.n_items == len(catalog.items)
    assert sum(e.count for e in manifest.indices) == manifest.n_items
    n_types = len(manifest.types)
    # the default Flat bundle stores factored vectors: f and one squared norm per type
    assert manifest.layout == "factored"
    assert all(e.dim == manifest.embedding_dim + n_types for e in manifest.indices)
    assert manifest.calibration.slope < 0  # larger distance, lower probability
    assert len(manifest.model_hash) == 16


def test_tampered_file_is_refused(pipeline, tmp_path):
    bundle = _copy(pipeline.bundle, tmp_path)
    emb = np.load(bundle / "embeddings.npy")
    np.save(bundle / "embeddings.npy", emb * 2)
    with pytest.raises(BundleError, match="embeddings.npy does not match"):
        CatalogIndex.load(bundle)


def test_missing_index_and_manifest_are_refused(pipeline, tmp_path):
    bundle = _copy(pipeline.bundle, tmp_path)
    (bundle / "index_shoes.faiss").unlink()
    with pytest.raises(BundleError, match="index_shoes.faiss is missing"):
        CatalogIndex.load(bundle)
    (bundle / "manifest.json").unlink()
    with pytest.raises(BundleError, match="no manifest.json"):
        CatalogIndex.load(bundle)


def test_wrong_dims_in_manifest_are_refused(pipeline, tmp_path):
    bundle = _copy(pipeline.bundle, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["embedding_dim"] = 64
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="do not match the manifest"):
        CatalogIndex.load(bundle)


def test_search_excludes_items_and_counts(pipeline):
    catalog = CatalogIndex.load(pipeline.bundle)
    shoes = catalog.types.index("shoes")
    outfit = [0, 1]
    all_hits = catalog.search(outfit, shoes, k=10**6)
    assert len(all_hits) == catalog.manifest.indices[shoes].count
    banned = {all_hits[0].index, all_hits[1].index}
    hits = catalog.search(outfit, shoes, k=3, exclude=banned)
    assert [h.index for h in hits] == [h.index for h in all_hits[2:5]]


def test_changes_of_stock_keep_the_exported_model(pipeline, tmp_path):
    from index.mutate import remove_items

    bundle = _copy(pipeline.bundle, tmp_path)
    model_json = (bundle / "model" / "model.json").read_text()
    gone = CatalogIndex.load(bundle).items[0]["item_id"]
    manifest = remove_items(bundle, [gone])
    assert manifest.n_removed == 1
    assert (bundle / "model" / "model.json").read_text() == model_json
    assert 0 in CatalogIndex.load(bundle).removed
