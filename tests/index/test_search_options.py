"""Exclusion, restriction to ids or a fine category, and diversity re-ranking."""

from __future__ import annotations

import numpy as np
import pytest

import index.search as search_module
from index.config import IndexConfig
from index.mmr import mmr_order
from index.search import CatalogIndex

OUTFIT = [0, 1, 2]


def _rows(hits):
    return [h.index for h in hits]


def _type_rows(catalog, t):
    return np.flatnonzero(catalog.scorer.item_types.numpy() == t)


@pytest.fixture
def catalog(synthetic):
    return CatalogIndex.load(synthetic())


def test_exclude_drops_given_rows_and_keeps_the_rest_in_order(catalog):
    everything = catalog.search(OUTFIT, 3, k=10**6)
    assert len(everything) == len(_type_rows(catalog, 3))
    banned = {everything[0].index, everything[3].index}
    hits = catalog.search(OUTFIT, 3, k=5, exclude=banned)
    assert _rows(hits) == [r for r in _rows(everything) if r not in banned][:5]


@pytest.mark.parametrize("subset_max", [search_module.SUBSET_SCORE_MAX, 0])
def test_restrict_ids_by_scorer_or_by_selector(catalog, monkeypatch, subset_max):
    # subset_max 0 sends every restriction through the FAISS id selector
    monkeypatch.setattr(search_module, "SUBSET_SCORE_MAX", subset_max)
    everything = _rows(catalog.search(OUTFIT, 3, k=10**6))
    allowed = set(everything[5::3]) | {1, 2, 10**6}  # other types and unknown rows drop out
    hits = catalog.search(OUTFIT, 3, k=4, restrict_ids=allowed, exclude={everything[5]})
    assert _rows(hits) == [r for r in everything if r in allowed and r != everything[5]][:4]


@pytest.mark.parametrize("subset_max", [search_module.SUBSET_SCORE_MAX, 0])
def test_category_filter(catalog, monkeypatch, subset_max):
    monkeypatch.setattr(search_module, "SUBSET_SCORE_MAX", subset_max)
    category = catalog.items[_type_rows(catalog, 3)[0]]["category_id"]
    everything = _rows(catalog.search(OUTFIT, 3, k=10**6))
    expected = [r for r in everything if catalog.items[r]["category_id"] == category]
    assert 0 < len(expected) < len(everything)
    assert _rows(catalog.search(OUTFIT, 3, k=10**6, category_id=category)) == expected
    both = catalog.search(OUTFIT, 3, k=3, category_id=category, restrict_ids=expected[1:])
    assert _rows(both) == expected[1:4]
    assert catalog.search(OUTFIT, 3, k=3, category_id="no such category") == []


def test_mmr_lambda_one_is_the_plain_ranking(catalog):
    plain = catalog.search(OUTFIT, 3, k=10)
    assert catalog.search(OUTFIT, 3, k=10, mmr_lambda=1.0) == plain


def test_mmr_trades_relevance_for_spread(catalog):
    plain = catalog.search(OUTFIT, 3, k=10)
    diverse = catalog.search(OUTFIT, 3, k=10, mmr_lambda=0.3)
    assert diverse[0] == plain[0]  # nothing picked yet: the best item leads
    assert _rows(diverse) != _rows(plain)
    spread = [_min_pair_distance(catalog, _rows(hits)) for hits in (plain, diverse)]
    assert spread[1] > spread[0]
    assert sum(h.distance for h in diverse) >= sum(h.distance for h in plain)


def _min_pair_distance(catalog, rows):
    from model.scoring import project

    sc = catalog.scorer
    pair = sc.pair_table[3, 3].expand(len(rows))
    z = project(sc.embeddings[rows], pair, sc.masks, sc.normalize).numpy()
    d = ((z[:, None] - z[None]) ** 2).sum(-1)
    return d[np.triu_indices(len(rows), 1)].min()


def test_mmr_order_skips_near_duplicates():
    relevance = np.array([1.0, 0.99, 0.5])
    similarity = np.array([[1.0, 0.99, 0.0], [0.99, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert mmr_order(relevance, similarity, 2, lam=1.0).tolist() == [0, 1]
    assert mmr_order(relevance, similarity, 2, lam=0.5).tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        mmr_order(relevance, similarity, 2, lam=1.5)


def test_hnsw_options_match_flat(synthetic, monkeypatch):
    # HNSW with a list longer than the type is exhaustive: options must not change that,
    # restrictions included, which go through the id selector here
    monkeypatch.setattr(search_module, "SUBSET_SCORE_MAX", 0)
    flat = CatalogIndex.load(synthetic())
    hnsw = CatalogIndex.load(synthetic(config=IndexConfig(factory="HNSW16", ef_search=512)))
    everything = _rows(flat.search(OUTFIT, 3, k=10**6))
    allowed = set(everything[::2])
    for kwargs in ({"exclude": {everything[0]}}, {"restrict_ids": allowed}, {"mmr_lambda": 0.5}):
        assert _rows(hnsw.search(OUTFIT, 3, 5, **kwargs)) == _rows(
            flat.search(OUTFIT, 3, 5, **kwargs))
