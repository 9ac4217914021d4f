from __future__ import annotations

import time

import numpy as np
import pytest

from model.data.triplets import Triplets, TripletSampler
from model.data.types import Outfit

# Types: 0 tops, 1 bottoms, 2 shoes, 3 bags.
ITEM_TYPES = np.array([0, 1, 2, 0, 1, 3, 0, 1, 2, 3, 0, 2], dtype=np.int64)
ITEM_IDS = [f"2133439{n:02d}" for n in range(len(ITEM_TYPES))]
ITEM_INDEX = {item_id: n for n, item_id in enumerate(ITEM_IDS)}


def _outfit(set_id: str, *items: int) -> Outfit:
    return Outfit(set_id, tuple(ITEM_IDS[i] for i in items), tuple(range(1, len(items) + 1)))


OUTFITS = [
    _outfit("1", 0, 1, 2),
    _outfit("2", 3, 4, 5),
    _outfit("3", 6, 7, 8, 9),
    _outfit("4", 10, 1, 11),  # item 1 recurs in a second outfit
    _outfit("5", 3),  # a single item makes no pair
]


def _sampler(seed: int = 0) -> TripletSampler:
    return TripletSampler(OUTFITS, ITEM_INDEX, ITEM_TYPES, seed=seed)


def test_every_ordered_pair_is_one_triplet() -> None:
    triplets = _sampler().sample(0, shuffle=False)
    expected = [
        (ITEM_INDEX[a], ITEM_INDEX[p], o)
        for o, outfit in enumerate(OUTFITS)
        for a in outfit.item_ids
        for p in outfit.item_ids
        if a != p
    ]
    got = list(
        zip(
            triplets.anchor.tolist(),
            triplets.positive.tolist(),
            triplets.outfit.tolist(),
            strict=True,
        )
    )
    assert sorted(got) == sorted(expected)
    assert len(got) == len(_sampler()) == 6 + 6 + 12 + 6
    assert triplets.anchor.dtype == np.int64 and triplets.negative.dtype == np.int64


def test_negatives_have_the_positive_type_and_never_come_from_the_anchor_outfit() -> None:
    sampler = _sampler(seed=3)
    members = [{ITEM_INDEX[i] for i in o.item_ids} for o in OUTFITS]
    seen_negatives: dict[tuple[int, int], set[int]] = {}
    for epoch in range(300):
        t = sampler.sample(epoch)
        assert (ITEM_TYPES[t.negative] == ITEM_TYPES[t.positive]).all()
        for a, p, n, o in zip(t.anchor, t.positive, t.negative, t.outfit, strict=True):
            assert a in members[o] and p in members[o]
            assert n not in members[o]
            seen_negatives.setdefault((int(o), int(ITEM_TYPES[p])), set()).add(int(n))
    # Every allowed candidate turns up: e.g. a top for outfit 1 (items 0,1,2) is any top of
    # the training outfits but item 0.
    assert seen_negatives[(0, 0)] == {3, 6, 10}
    assert seen_negatives[(0, 1)] == {4, 7}
    assert seen_negatives[(3, 1)] == {4, 7}  # item 1 is in outfit 4 too, so never drawn
    assert seen_negatives[(2, 2)] == {2, 11}


def test_negatives_are_uniform_over_the_allowed_items() -> None:
    # Outfit 0 holds tops 0 and 2 of tops 0..5: a negative top must be 1, 3, 4 or 5.
    types = np.array([0, 0, 0, 0, 0, 0, 1], dtype=np.int64)
    ids = {str(n): n for n in range(7)}
    outfits = [
        Outfit("a", ("0", "2", "6"), (1, 2, 3)),
        Outfit("b", ("1", "3", "4", "5"), (1, 2, 3, 4)),
    ]
    sampler = TripletSampler(outfits, ids, types, seed=7)
    counts = np.zeros(7, dtype=np.int64)
    for epoch in range(2000):
        t = sampler.sample(epoch, shuffle=False)
        picked = t.negative[(t.outfit == 0) & (types[t.positive] == 0)]
        counts += np.bincount(picked, minlength=7)
    assert counts[[0, 2, 6]].sum() == 0
    share = counts[[1, 3, 4, 5]] / counts.sum()
    assert np.abs(share - 0.25).max() < 0.02


def test_a_triplet_without_any_allowed_negative_is_dropped() -> None:
    # Types 0, 1, 0, 2: the only type-1 item is in outfit "x" and the only type-2 item in
    # "y", so the pairs with those positives, (0, 1) and (2, 3), have no allowed negative.
    types = np.array([0, 1, 0, 2], dtype=np.int64)
    ids = {str(n): n for n in range(4)}
    outfits = [Outfit("x", ("0", "1"), (1, 2)), Outfit("y", ("2", "3"), (1, 2))]
    t = TripletSampler(outfits, ids, types).sample(0, shuffle=False)
    pairs = set(zip(t.anchor.tolist(), t.positive.tolist(), strict=True))
    assert pairs == {(1, 0), (3, 2)}
    assert t.negative.tolist() == [2, 0]


def test_sampling_is_reproducible_per_seed_and_epoch() -> None:
    first, again = _sampler(seed=5).sample(2), _sampler(seed=5).sample(2)
    for name in ("anchor", "positive", "negative", "outfit"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    other_epoch = _sampler(seed=5).sample(3)
    other_seed = _sampler(seed=6).sample(2)
    assert not np.array_equal(first.negative, other_epoch.negative) or not np.array_equal(
        first.anchor, other_epoch.anchor
    )
    assert not np.array_equal(first.anchor, other_seed.anchor)


def test_negatives_differ_across_epochs() -> None:
    sampler = _sampler()
    draws = {tuple(sampler.sample(epoch, shuffle=False).negative.tolist()) for epoch in range(10)}
    assert len(draws) > 1


def test_unknown_items_and_empty_input() -> None:
    with pytest.raises(ValueError, match="999 is not in item_index"):
        TripletSampler([Outfit("z", ("999",), (1,))], ITEM_INDEX, ITEM_TYPES)
    empty = TripletSampler([], ITEM_INDEX, ITEM_TYPES).sample(0)
    assert isinstance(empty, Triplets) and len(empty) == 0


@pytest.mark.slow
def test_a_real_sized_epoch_takes_seconds() -> None:
    # The size of the nondisjoint training split: 53k outfits of 3-8 items, 200k items.
    rng = np.random.default_rng(0)
    n_items = 200_000
    types = rng.integers(0, 11, n_items)
    index = {str(n): n for n in range(n_items)}
    outfits = []
    for o in range(53_306):
        size = int(rng.integers(3, 9))
        ids = tuple(str(i) for i in rng.choice(n_items, size, replace=False))
        outfits.append(Outfit(str(o), ids, tuple(range(1, size + 1))))
    start = time.perf_counter()
    sampler = TripletSampler(outfits, index, types, seed=0)
    triplets = sampler.sample(0)
    elapsed = time.perf_counter() - start
    assert len(triplets) > 1_000_000
    assert (types[triplets.negative] == types[triplets.positive]).all()
    assert elapsed < 10, elapsed
