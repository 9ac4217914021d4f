"""Index configs are data: validated, resolved, and recorded in the manifest."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from index.config import IndexConfig
from index.factory import full_factory
from index.manifest import BundleError, read_manifest
from index.search import CatalogIndex


def test_factory_strings_get_ids_where_faiss_needs_them():
    assert full_factory("Flat") == "IDMap2,Flat"
    assert full_factory("HNSW32") == "IDMap2,HNSW32"
    assert full_factory("IVF1024,PQ43") == "IVF1024,PQ43"  # IVF keeps ids in its lists
    with pytest.raises(ValidationError, match="leave out IDMap"):
        IndexConfig(factory="IDMap2,Flat")
    with pytest.raises(ValidationError):
        IndexConfig(nprobe=0)


def test_layout_follows_factory_and_normalisation():
    assert IndexConfig().resolve_layout(normalize_spaces=True) == "factored"
    assert IndexConfig().resolve_layout(normalize_spaces=False) == "factored"
    assert IndexConfig(factory="HNSW32").resolve_layout(True) == "per_pair"
    assert IndexConfig(factory="HNSW32").resolve_layout(False) == "collapsed"
    assert IndexConfig(layout="per_pair").resolve_layout(False) == "per_pair"
    with pytest.raises(ValueError, match="unnormalised"):
        IndexConfig(layout="collapsed").resolve_layout(True)
    with pytest.raises(ValueError, match="use factory 'Flat'"):
        IndexConfig(factory="IVF4,Flat", layout="factored").resolve_layout(True)


@pytest.mark.parametrize("factory, params", [
    ("Flat", {}),
    ("HNSW16", {"efSearch": 77, "efConstruction": 80}),
    ("IVF4,Flat", {"nprobe": 3, "nlist": 4}),
])
def test_manifest_records_the_search_parameters(synthetic, factory, params):
    config = IndexConfig(factory=factory, nprobe=3, ef_search=77)
    bundle = synthetic(config=config)
    manifest = read_manifest(bundle)
    assert manifest.index_config == config
    for entry in manifest.indices:
        assert entry.factory == full_factory(factory)
        assert entry.metric == "inner_product"
        assert entry.search_params == params
        assert entry.model_hash == manifest.model_hash and entry.build_seconds >= 0


def test_search_params_can_be_changed_after_load(synthetic):
    catalog = CatalogIndex.load(synthetic(config=IndexConfig(factory="HNSW16", ef_search=8)))
    catalog.set_search_params(ef_search=300, nprobe=5)  # nprobe does not apply: ignored
    from index.factory import core_index

    assert {core_index(i).hnsw.efSearch for i in catalog.indices.values()} == {300}


def test_too_few_items_for_ivf_is_refused_with_the_type(synthetic):
    with pytest.raises(ValueError, match="cannot train 4096 IVF lists"):
        synthetic(config=IndexConfig(factory="IVF4096,Flat"))


def test_old_format_and_inconsistent_layout_are_refused(synthetic):
    bundle = synthetic()
    manifest = json.loads((bundle / "manifest.json").read_text())
    (bundle / "manifest.json").write_text(json.dumps(manifest | {"layout": "collapsed"}))
    with pytest.raises(BundleError, match="collapsed layout"):
        CatalogIndex.load(bundle)
    (bundle / "manifest.json").write_text(json.dumps(manifest | {"format_version": 1}))
    with pytest.raises(BundleError, match="format version 1"):
        CatalogIndex.load(bundle)
