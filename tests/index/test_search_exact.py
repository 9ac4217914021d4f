"""One FAISS search per outfit returns what scoring every item with the scorer returns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from index.config import IndexConfig
from index.search import CatalogIndex

N_OUTFITS = 1000
K = 10


def random_outfits(catalog: CatalogIndex, n: int, seed: int) -> list[tuple[list[int], int]]:
    """Outfits of 1-5 random items (types may repeat, or equal the target's) and a target."""
    rng = np.random.default_rng(seed)
    n_items, n_types = len(catalog.items), len(catalog.types)
    return [(rng.choice(n_items, rng.integers(1, 6), replace=False).tolist(),
             int(rng.integers(n_types))) for _ in range(n)]


def brute_force(catalog: CatalogIndex, outfit: list[int], target: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Every live item of the target type not in the outfit, scored by the scorer."""
    rows = np.flatnonzero(catalog.scorer.item_types.numpy() == target)
    rows = np.setdiff1d(rows, np.union1d(outfit, catalog.removed))
    distances = catalog.scorer.fitb_distances(torch.tensor([outfit]),
                                              torch.from_numpy(rows)[None])[0].numpy()
    return rows, distances


def compare(catalog: CatalogIndex, seed: int = 0, exact: bool = True,
            n_outfits: int = N_OUTFITS) -> tuple[float, float]:
    """Checks every hit's distance against the scorer's and, when `exact`, the k best
    distances too. Returns recall@k and the share of outfits whose hit rows equal the
    brute-force order exactly (equal distances may swap rows)."""
    found = identical = 0
    for outfit, target in random_outfits(catalog, n_outfits, seed):
        hits = catalog.search(outfit, target, K, exclude=set(outfit))
        rows, distances = brute_force(catalog, outfit, target)
        order = np.argsort(distances, kind="stable")[:K]
        got = np.array([h.distance for h in hits])
        true_of = dict(zip(rows.tolist(), distances.tolist(), strict=True))
        np.testing.assert_allclose([true_of[h.index] for h in hits], got, rtol=1e-4, atol=1e-4)
        if exact:
            assert len(hits) == len(order)
            np.testing.assert_allclose(got, distances[order], rtol=1e-4, atol=1e-4)
        found += len({h.index for h in hits} & set(rows[order].tolist())) / max(len(order), 1)
        identical += [h.index for h in hits] == rows[order].tolist()
    return found / n_outfits, identical / n_outfits


def test_trained_bundle_search_equals_brute_force(pipeline):
    assert compare(CatalogIndex.load(pipeline.bundle))[1] >= 0.99


@pytest.mark.parametrize("normalize, layout", [
    (True, "factored"), (False, "factored"),  # the defaults with Flat
    (True, "per_pair"), (False, "collapsed"), (False, "per_pair"),
])
def test_flat_layouts_equal_brute_force(synthetic, normalize, layout):
    bundle = synthetic(normalize=normalize, config=IndexConfig(layout=layout))
    catalog = CatalogIndex.load(bundle)
    assert catalog.layout == layout
    assert compare(catalog, seed=1)[1] >= 0.99


def test_flat_defaults_to_the_factored_layout(synthetic):
    for normalize in (True, False):
        catalog = CatalogIndex.load(synthetic(normalize=normalize))
        assert catalog.layout == "factored"
        # normalised: scanned by index/scan.py; unnormalised: one inner product for faiss
        assert set(catalog._scans) == (set(range(len(catalog.types))) if normalize else set())
        dim, n_types = catalog.manifest.embedding_dim, len(catalog.types)
        assert {e.dim for e in catalog.manifest.indices} == {dim + n_types}


def test_collapsed_vectors_are_2d_whatever_the_types(synthetic):
    catalog = CatalogIndex.load(synthetic(normalize=False, config=IndexConfig(
        layout="collapsed")))
    assert catalog.layout == "collapsed"
    assert {e.dim for e in catalog.manifest.indices} == {2 * catalog.manifest.embedding_dim}


def test_unnormalised_factored_vectors_are_one_inner_product_for_faiss(synthetic):
    """Without normalisation the factored vector is an inner-product embedding: an exact
    faiss index over it (IVF probing every list) ranks like the scan."""
    catalog = CatalogIndex.load(synthetic(normalize=False, config=IndexConfig(
        factory="IVF4,Flat", nprobe=4, layout="factored")))
    assert catalog.layout == "factored" and not catalog._scans
    assert compare(catalog, seed=4, n_outfits=200)[1] >= 0.99


@pytest.mark.parametrize("factory, extra, exact", [
    ("IVF4,Flat", {"nprobe": 4}, True),  # every list probed: exact
    ("HNSW16", {"ef_search": 256}, True),  # candidate list longer than any type: exact here
    ("IVF2,PQ5x4", {"nprobe": 2, "refine": 60}, False),  # coarse codes, the scorer re-ranks
])
def test_ann_factories_against_brute_force(synthetic, factory, extra, exact):
    bundle = synthetic(config=IndexConfig(factory=factory, **extra))
    catalog = CatalogIndex.load(bundle)
    recall, _ = compare(catalog, seed=2, exact=exact, n_outfits=300)
    assert recall >= 0.95


def test_plain_l2_hits_are_rescored_by_the_scorer(synthetic):
    catalog = CatalogIndex.load(synthetic(distance="l2"))
    for outfit, target in random_outfits(catalog, 50, seed=3):
        hits = catalog.search(outfit, target, K, exclude=set(outfit))
        rows, distances = brute_force(catalog, outfit, target)
        true_of = dict(zip(rows.tolist(), distances.tolist(), strict=True))
        got = [h.distance for h in hits]
        assert got == sorted(got)
        np.testing.assert_allclose([true_of[h.index] for h in hits], got, rtol=1e-5)
