import itertools

import numpy as np
import torch

from model.scoring import (
    PAD,
    OutfitScorer,
    build_pair_table,
    n_pairs,
    pad_index_lists,
    pair_distance,
)


def _scorer(squared, normalize=True, n=30, types=4, dim=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return OutfitScorer(
        embeddings=torch.randn(n, dim, generator=g),
        item_types=torch.randint(0, types, (n,), generator=g),
        masks=torch.rand(n_pairs(types), dim, generator=g),
        pair_table=build_pair_table(types),
        normalize=normalize,
        squared=squared,
    )


def _d(sc, i, j):
    p = sc.pair_table[sc.item_types[i], sc.item_types[j]]
    zi, zj = sc.embeddings[i] * sc.masks[p], sc.embeddings[j] * sc.masks[p]
    if sc.normalize:
        zi, zj = zi / zi.norm(), zj / zj.norm()
    d = (zi - zj).norm()
    return float(d**2 if sc.squared else d)


def test_pair_table_symmetric_and_complete():
    t = build_pair_table(11)
    assert torch.equal(t, t.T)
    assert sorted(set(t.flatten().tolist())) == list(range(66))
    assert t[0, 0] == 0 and t[0, 1] == 1 and t[1, 1] == 11


def test_fitb_and_compatibility_match_loops():
    for squared, normalize in itertools.product((False, True), (False, True)):
        sc = _scorer(squared, normalize)
        outfits = [[0, 1, 2], [3, 4], [5, 6, 7, 8]]
        cands = [[10, 11, 12, 13], [14, 15, 16, 17], [18, 19, 20, 21]]
        got = sc.fitb_distances(pad_index_lists(outfits), pad_index_lists(cands))
        for q, (o, cs) in enumerate(zip(outfits, cands, strict=True)):
            for c_pos, c in enumerate(cs):
                want = sum(_d(sc, i, c) for i in o)
                assert abs(float(got[q, c_pos]) - want) < 1e-4
        comp = sc.compatibility_distances(pad_index_lists(outfits))
        for q, o in enumerate(outfits):
            pairs = list(itertools.combinations(o, 2))
            want = sum(_d(sc, i, j) for i, j in pairs) / len(pairs)
            assert abs(float(comp[q]) - want) < 1e-4


def test_completed_compatibility_is_monotone_in_fitb_distance():
    sc = _scorer(squared=True)
    outfit = torch.tensor([0, 1, 2])
    cands = torch.tensor([5, 6, 7, 8, 9])
    fitb = sc.fitb_distances(outfit[None], cands[None])[0]
    completed = sc.completed_compatibility(outfit, cands)
    assert torch.equal(torch.argsort(fitb), torch.argsort(completed))
    full = sc.compatibility_distances(pad_index_lists([[0, 1, 2, 5]]))
    assert abs(float(full[0]) - float(completed[0])) < 1e-5


def test_padding_is_ignored():
    sc = _scorer(squared=False)
    padded = torch.tensor([[0, 1, PAD, PAD]])
    plain = torch.tensor([[0, 1]])
    c = torch.tensor([[3, 4]])
    assert torch.allclose(sc.fitb_distances(padded, c), sc.fitb_distances(plain, c))
    assert torch.allclose(sc.compatibility_distances(padded), sc.compatibility_distances(plain))


def test_numpy_one_outfit_methods_equal_the_batched_torch_ones():
    for squared, normalize in itertools.product((False, True), (False, True)):
        sc = _scorer(squared, normalize)
        outfit, cands = [3, 0, 7, 12, 5], [1, 2, 9, 20, 29]
        torch_pairs = sc.outfit_pair_distances(pad_index_lists([outfit]))[0].numpy()
        np_pairs = sc.pair_matrix(outfit)
        assert np_pairs.shape == (5, 5)
        assert np.array_equal(np.isnan(np_pairs), np.isnan(torch_pairs))
        assert np.allclose(np_pairs, torch_pairs, rtol=1e-5, atol=1e-6, equal_nan=True)
        torch_fitb = sc.fitb_distances(pad_index_lists([outfit]), pad_index_lists([cands]))[0]
        assert np.allclose(sc.fitb_row(outfit, cands), torch_fitb.numpy(), rtol=1e-5)
        row, internal = sc.fitb_question(outfit, cands)
        assert np.allclose(row, torch_fitb.numpy(), rtol=1e-5)
        assert abs(internal - float(np.nansum(torch_pairs))) < 1e-4
        completed = sc.completed_compatibility(torch.tensor(outfit), torch.tensor(cands))
        assert np.allclose((internal + row) / 15, completed.numpy(), rtol=1e-5)
        assert sc.types_of(outfit) == sc.item_types[outfit].tolist()


def test_pair_distance_is_one_function_for_numpy_and_torch():
    sc = _scorer(squared=False)
    a, b = torch.tensor([0, 1, 2]), torch.tensor([3, 4, 5])
    pair = sc.pair_table[sc.item_types[a], sc.item_types[b]]
    args = (sc.embeddings[a], sc.embeddings[b], pair, sc.masks, True)
    got_torch = pair_distance(*args)
    got_np = pair_distance(*(x.numpy() for x in args[:4]), True)
    assert isinstance(got_np, np.ndarray)
    assert np.allclose(got_np, got_torch.numpy(), rtol=1e-6)
    # the torch path stays differentiable: the training loss calls it
    emb = sc.embeddings[a].clone().requires_grad_()
    pair_distance(emb, sc.embeddings[b], pair, sc.masks, True).sum().backward()
    assert emb.grad is not None and torch.isfinite(emb.grad).all()


def test_outfits_of_any_length_and_padding_position_score_as_alone():
    sc = _scorer(squared=True)
    rows = torch.tensor([[0, PAD, 1, 2], [3, 4, PAD, PAD], [5, PAD, PAD, PAD],
                         [PAD, 6, 7, 8], [9, 10, 11, 12]])
    comp = sc.compatibility_distances(rows)
    cands = torch.arange(13, 28).reshape(5, 3)
    fitb = sc.fitb_distances(rows, cands)
    for q, row in enumerate(rows.tolist()):
        items = [i for i in row if i != PAD]
        alone = sc.compatibility_distances(pad_index_lists([items]))
        if len(items) < 2:
            assert torch.isnan(comp[q]) and torch.isnan(alone[0])
        else:
            pairs = list(itertools.combinations(items, 2))
            want = sum(_d(sc, i, j) for i, j in pairs) / len(pairs)
            assert abs(float(comp[q]) - want) < 1e-4
        for c_pos, c in enumerate(cands[q].tolist()):
            assert abs(float(fitb[q, c_pos]) - sum(_d(sc, i, c) for i in items)) < 1e-4
