import faiss
import numpy as np
import pytest
import torch

from index.scan import FactoredScan
from index.vectors import (
    FactoredQuery,
    collapsed_query_vector,
    collapsed_stored_vectors,
    factored_query,
    factored_stored_vectors,
    item_vectors,
    query_vector,
    stored_vectors,
    vector_dim,
)
from model.scoring import OutfitScorer, build_pair_table, n_pairs


def test_inner_product_equals_outfit_squared_distance():
    g = torch.Generator().manual_seed(3)
    types, dim, n = 5, 16, 60
    for normalize in (False, True):
        sc = OutfitScorer(
            embeddings=torch.randn(n, dim, generator=g),
            item_types=torch.randint(0, types, (n,), generator=g),
            masks=torch.rand(n_pairs(types), dim, generator=g),
            pair_table=build_pair_table(types), normalize=normalize, squared=True,
        )
        outfit = torch.tensor([0, 1, 2, 3, 4, 5])  # types may repeat: counts matter
        for target in range(types):
            cands = torch.nonzero(sc.item_types == target).flatten()
            s = stored_vectors(sc.embeddings[cands], target, sc.masks, sc.pair_table, normalize)
            q, const = query_vector(sc.embeddings[outfit], sc.item_types[outfit], target,
                                    sc.masks, sc.pair_table, normalize)
            via_ip = const - s @ q
            direct = sc.fitb_distances(outfit[None], cands[None])[0]
            assert torch.allclose(via_ip, direct, atol=1e-4), (normalize, target)


def test_collapsed_layout_equals_outfit_squared_distance():
    g = torch.Generator().manual_seed(4)
    types, dim, n = 5, 16, 60
    sc = OutfitScorer(
        embeddings=torch.randn(n, dim, generator=g),
        item_types=torch.randint(0, types, (n,), generator=g),
        masks=torch.rand(n_pairs(types), dim, generator=g),
        pair_table=build_pair_table(types), normalize=False, squared=True,
    )
    outfit = torch.tensor([0, 1, 2, 3, 4, 5])
    for target in range(types):
        cands = torch.nonzero(sc.item_types == target).flatten()
        s = collapsed_stored_vectors(sc.embeddings[cands])
        assert s.shape == (len(cands), 2 * dim)  # whatever the number of types
        q, const = collapsed_query_vector(sc.embeddings[outfit], sc.item_types[outfit], target,
                                          sc.masks, sc.pair_table)
        direct = sc.fitb_distances(outfit[None], cands[None])[0]
        assert torch.allclose(const - s @ q, direct, atol=1e-4), target


def test_collapsed_layout_refuses_normalised_spaces():
    with pytest.raises(ValueError, match="unnormalised"):
        item_vectors("collapsed", torch.zeros(2, 4), 0, torch.ones(3, 4), build_pair_table(2),
                     normalize=True)
    assert vector_dim("collapsed", 11, 128) == 256
    assert vector_dim("per_pair", 11, 128) == 11 * 128 + 11
    assert vector_dim("factored", 11, 128) == 128 + 11


def _flat(vectors: torch.Tensor, ids: np.ndarray) -> faiss.Index:
    index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
    index.add_with_ids(vectors.numpy(), ids)
    return index


@pytest.mark.parametrize("normalize", [True, False])
def test_factored_scan_equals_outfit_squared_distance(normalize):
    g = torch.Generator().manual_seed(5)
    types, dim, n = 5, 16, 80
    masks = torch.rand(n_pairs(types), dim, generator=g)
    masks[0, :] = 0.0  # a dead type-pair space: F.normalize's floor must be matched
    sc = OutfitScorer(
        embeddings=torch.randn(n, dim, generator=g),
        item_types=torch.randint(0, types, (n,), generator=g),
        masks=masks, pair_table=build_pair_table(types), normalize=normalize, squared=True,
    )
    outfit = torch.tensor([0, 1, 2, 3, 4, 5])
    for target in range(types):
        cands = torch.nonzero(sc.item_types == target).flatten()
        x = factored_stored_vectors(sc.embeddings[cands], target, sc.masks, sc.pair_table)
        assert x.shape == (len(cands), dim + types)
        query = factored_query(sc.embeddings[outfit], sc.item_types[outfit], target,
                               sc.masks, sc.pair_table, normalize)
        direct = sc.fitb_distances(outfit[None], cands[None])[0]
        if normalize:  # the scan of index/scan.py
            scan = FactoredScan(_flat(x, cands.numpy()), dim)
            via_scan = query.constant - scan.scores(query)
        else:  # one inner product, the query faiss gets
            via_scan = query.constant - x @ query.inner_product(types)
        assert torch.allclose(via_scan, direct, atol=1e-4), (normalize, target)


def test_factored_scan_search_filters_and_orders():
    g = torch.Generator().manual_seed(6)
    x = torch.randn(50, 8, generator=g)
    x[:, 6:] = x[:, 6:].abs()  # the squared norms are non-negative
    rows = np.arange(100, 200, 2)  # ids are catalog rows, not positions
    scan = FactoredScan(_flat(x, rows), 6)
    query = FactoredQuery(torch.randn(3, 6, generator=g), torch.tensor([0, 1, 0]), 0.0)
    scores = scan.scores(query).numpy()
    order = rows[np.argsort(-scores, kind="stable")]
    got, got_scores = scan.search(query, 5)
    assert got.tolist() == order[:5].tolist()
    np.testing.assert_allclose(got_scores, np.sort(scores)[::-1][:5], rtol=1e-6)
    banned = np.array([order[0], order[2], 7])  # 7 is not in the index: ignored
    got, _ = scan.search(query, 3, banned=banned)
    assert got.tolist() == [order[1], order[3], order[4]]
    allowed = np.array([order[9], order[7], order[0], 5])
    got, _ = scan.search(query, 10, allowed=allowed, banned=order[:1])
    assert got.tolist() == [order[7], order[9]]  # fewer than k when fewer are allowed
