import pytest
import torch

from index.vectors import (
    collapsed_query_vector,
    collapsed_stored_vectors,
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
