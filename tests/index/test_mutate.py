"""New and withdrawn stock without a rebuild: counts, hashes and search results follow."""

from __future__ import annotations

import numpy as np
import pytest

from index.config import IndexConfig
from index.manifest import read_manifest
from index.mutate import add_items, remove_items
from index.search import CatalogIndex
from tests.index.conftest import DIM

OUTFIT = [0, 1, 2]
SHOES = 3  # index of "shoes" in the synthetic types


def _new_shoes(catalog: CatalogIndex, n: int, seed: int = 5):
    """New items placed right beside the outfit's best shoe, so they must rank first."""
    best = catalog.search(OUTFIT, SHOES, k=1)[0].index
    rng = np.random.default_rng(seed)
    base = catalog.scorer.embeddings[best].numpy()
    embeddings = base + 1e-3 * rng.normal(size=(n, DIM)).astype(np.float32)
    items = [{"item_id": f"new{i}", "type": "shoes", "category_id": "7"} for i in range(n)]
    return items, embeddings


@pytest.mark.parametrize("factory", ["Flat", "HNSW16", "IVF4,Flat"])
def test_add_then_remove(synthetic, factory):
    config = IndexConfig(factory=factory, nprobe=4, ef_search=512)
    bundle = synthetic(config=config)
    before = CatalogIndex.load(bundle)
    n_before = before.manifest.n_items
    items, embeddings = _new_shoes(before, 3)

    manifest = add_items(bundle, items, embeddings)
    assert manifest == read_manifest(bundle)
    assert manifest.n_items == n_before + 3 and manifest.updated
    shoes_entry = manifest.indices[SHOES]
    assert shoes_entry.count == before.manifest.indices[SHOES].count + 3
    assert shoes_entry.sha256 != before.manifest.indices[SHOES].sha256
    assert manifest.indices[0] == before.manifest.indices[0]  # untouched types untouched
    after = CatalogIndex.load(bundle)  # hashes and counts verified on load
    new_rows = [after.row_of[i["item_id"]] for i in items]
    assert new_rows == list(range(n_before, n_before + 3))
    best_before = before.search(OUTFIT, SHOES, k=1)[0].index
    hits = after.search(OUTFIT, SHOES, k=4)
    assert {h.index for h in hits} == set(new_rows) | {best_before}
    direct = after.rank_candidates(OUTFIT, [h.index for h in hits])
    np.testing.assert_allclose([h.distance for h in hits], [h.distance for h in direct],
                               rtol=1e-4, atol=1e-4)

    gone = [items[0]["item_id"], before.items[best_before]["item_id"]]
    manifest = remove_items(bundle, gone)
    assert manifest.n_removed == 2 and manifest.n_items == n_before + 3
    tombstoned = factory.startswith("HNSW")
    assert manifest.indices[SHOES].tombstones == (2 if tombstoned else 0)
    assert manifest.indices[SHOES].count == shoes_entry.count - (0 if tombstoned else 2)
    final = CatalogIndex.load(bundle)
    removed_rows = {final.row_of[i] for i in gone}
    everything = final.search(OUTFIT, SHOES, k=10**6)
    assert not removed_rows & {h.index for h in everything}
    assert len(everything) == shoes_entry.count - 2
    restricted = final.search(OUTFIT, SHOES, k=10, restrict_ids=removed_rows | {new_rows[1]})
    assert [h.index for h in restricted] == [new_rows[1]]
    # a removed item may still be part of an outfit
    assert final.search([*OUTFIT, min(removed_rows)], SHOES, k=2)


def test_readding_a_removed_item_gets_a_new_row(synthetic):
    bundle = synthetic()
    catalog = CatalogIndex.load(bundle)
    items, embeddings = _new_shoes(catalog, 1)
    add_items(bundle, items, embeddings)
    old_row = CatalogIndex.load(bundle).row_of["new0"]
    remove_items(bundle, ["new0"])
    add_items(bundle, items, embeddings)
    catalog = CatalogIndex.load(bundle)
    assert catalog.row_of["new0"] == old_row + 1
    assert catalog.search(OUTFIT, SHOES, k=1)[0].index == old_row + 1


def test_bad_mutations_are_refused_and_change_nothing(synthetic):
    bundle = synthetic()
    catalog = CatalogIndex.load(bundle)
    manifest = read_manifest(bundle)
    items, embeddings = _new_shoes(catalog, 2)
    with pytest.raises(ValueError, match="already in the catalog"):
        add_items(bundle, [{"item_id": "i0", "type": "shoes"}], embeddings[:1])
    with pytest.raises(ValueError, match="not one of"):
        add_items(bundle, [{"item_id": "x", "type": "capes"}], embeddings[:1])
    with pytest.raises(ValueError, match="shape"):
        add_items(bundle, items, embeddings[:1])
    with pytest.raises(KeyError, match="'nope'"):
        remove_items(bundle, ["i0", "nope"])
    assert read_manifest(bundle) == manifest
    remove_items(bundle, ["i0"])
    with pytest.raises(KeyError, match="'i0'"):
        remove_items(bundle, ["i0"])
