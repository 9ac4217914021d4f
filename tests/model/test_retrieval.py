import numpy as np
import torch

from model.data.types import Outfit
from model.retrieval import held_out_queries, retrieval_ranks
from model.scoring import OutfitScorer, build_pair_table, n_pairs


def test_ranks_match_a_loop_over_the_catalog():
    g = torch.Generator().manual_seed(0)
    n, types, dim = 200, 3, 8
    scorer = OutfitScorer(torch.randn(n, dim, generator=g),
                          torch.randint(0, types, (n,), generator=g),
                          torch.rand(n_pairs(types), dim, generator=g), build_pair_table(types))
    ids = [str(i) for i in range(n)]
    outfits = [Outfit(str(k), tuple(ids[j] for j in range(k * 4, k * 4 + 4)), (1, 2, 3, 4))
               for k in range(30)]
    queries, held = held_out_queries(outfits, {i: int(i) for i in ids}, seed=3)
    ranks = retrieval_ranks(scorer, queries, held)
    for q, h, r in zip(queries.tolist(), held.tolist(), ranks.tolist(), strict=True):
        q = [x for x in q if x >= 0]
        cands = [c for c in range(n) if scorer.item_types[c] == scorer.item_types[h]
                 and c not in q and c != h]
        d = scorer.fitb_distances(torch.tensor([q]), torch.tensor([cands + [h]]))[0]
        assert r == int((d[:-1] < d[-1]).sum())


def test_held_out_choice_is_seeded_and_skips_single_items():
    outfits = [Outfit("1", ("a", "b", "c"), (1, 2, 3)), Outfit("2", ("d",), (1,))]
    index = {"a": 0, "b": 1, "c": 2, "d": 3}
    q1, h1 = held_out_queries(outfits, index, seed=5)
    q2, h2 = held_out_queries(outfits, index, seed=5)
    assert torch.equal(q1, q2) and np.array_equal(h1, h2) and len(h1) == 1
    assert sorted([*q1[0].tolist(), int(h1[0])]) == [0, 1, 2]
