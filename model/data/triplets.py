"""Training triplets (method.md, "Training triplets").

Every ordered pair (anchor a, positive p) of distinct items of a training outfit is a
triplet; its negative is drawn uniformly from the items of p's type that appear in the
training outfits, excluding every item of a's outfit (the reference code let the negative
come from the anchor's own outfit). A triplet whose type has no item outside a's outfit is
dropped, so every epoch has the same `len(sampler)` triplets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from model.data.types import Outfit


@dataclass(frozen=True)
class Triplets:
    """One epoch of triplets: int64 arrays of equal length. `anchor`, `positive` and
    `negative` index the item list the sampler was built on; `outfit` indexes its outfits."""

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    outfit: np.ndarray

    def __len__(self) -> int:
        return len(self.anchor)


class TripletSampler:
    """Draws one epoch of triplets at a time, reproducibly from (seed, epoch).

    `item_index` maps item ids to positions in the caller's item list and `item_types[i]` is
    the type index of item i. The pairs and the exclusion tables are built once here, so a
    `sample` call is only random draws and array arithmetic.
    """

    def __init__(
        self,
        outfits: Sequence[Outfit],
        item_index: Mapping[str, int],
        item_types: np.ndarray,
        *,
        seed: int = 0,
    ) -> None:
        self.seed = seed
        item_types = np.asarray(item_types, dtype=np.int64)
        try:
            # Duplicates inside an outfit would make (a, a) pairs and count twice below.
            members = [sorted({item_index[i] for i in o.item_ids}) for o in outfits]
        except KeyError as exc:
            raise ValueError(f"outfit item {exc.args[0]} is not in item_index") from None
        sizes = np.array([len(m) for m in members], dtype=np.int64)
        flat = np.fromiter((i for m in members for i in m), dtype=np.int64, count=sizes.sum())
        if len(flat) and (item_types[flat] < 0).any():
            raise ValueError("every outfit item needs a non-negative type index")
        n_outfits = len(members)
        n_types = int(item_types[flat].max()) + 1 if len(flat) else 0

        # Negative pools: the distinct training items of each type, grouped by type.
        pool = np.unique(flat)
        pool = pool[np.argsort(item_types[pool], kind="stable")]
        pool_size = np.bincount(item_types[pool], minlength=n_types)
        pool_start = np.concatenate([[0], np.cumsum(pool_size)[:-1]])
        rank = np.empty(len(item_types), dtype=np.int64)  # position within its type's pool
        rank[pool] = np.arange(len(pool)) - pool_start[item_types[pool]]

        # Each outfit's members as padded rows sorted by (type, rank): the sorted exclusion
        # list that turns a draw among the allowed items into a pool position.
        width = int(sizes.max()) if n_outfits else 0
        outfit_of = np.repeat(np.arange(n_outfits), sizes)
        order = np.lexsort((rank[flat], item_types[flat], outfit_of))
        slot = np.arange(len(flat)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        self._excluded_type = np.full((n_outfits, width), -1, dtype=np.int64)
        self._excluded_rank = np.zeros((n_outfits, width), dtype=np.int64)
        self._excluded_type[outfit_of, slot] = item_types[flat[order]]
        self._excluded_rank[outfit_of, slot] = rank[flat[order]]
        in_outfit = np.bincount(
            outfit_of * n_types + item_types[flat], minlength=n_outfits * n_types
        ).reshape(n_outfits, n_types)

        anchor, positive, outfit = _ordered_pairs(members, sizes)
        positive_type = item_types[positive]
        allowed = pool_size[positive_type] - in_outfit[outfit, positive_type]
        keep = allowed > 0
        self._anchor = anchor[keep]
        self._positive = positive[keep]
        self._outfit = outfit[keep]
        self._positive_type = positive_type[keep]
        self._allowed = allowed[keep]
        self._pool = pool
        self._pool_start = pool_start

    def __len__(self) -> int:
        return len(self._anchor)

    def sample(self, epoch: int, *, shuffle: bool = True) -> Triplets:
        """The triplets of `epoch`; the same (seed, epoch) always gives the same arrays.
        With `shuffle`, in random order (outfit-grouped otherwise)."""
        rng = np.random.default_rng([self.seed, epoch])
        # A uniform draw among the allowed items of the type, then stepped past each excluded
        # item at or below it (in ascending rank): uniform over the pool minus a's outfit,
        # with no rejection loop.
        draw = rng.integers(0, self._allowed) if len(self) else np.zeros(0, dtype=np.int64)
        for column in range(self._excluded_rank.shape[1]):
            excluded_type = self._excluded_type[self._outfit, column]
            excluded_rank = self._excluded_rank[self._outfit, column]
            draw += (excluded_type == self._positive_type) & (draw >= excluded_rank)
        negative = self._pool[self._pool_start[self._positive_type] + draw]
        if shuffle:
            order = rng.permutation(len(self))
            return Triplets(
                self._anchor[order], self._positive[order], negative[order], self._outfit[order]
            )
        return Triplets(self._anchor.copy(), self._positive.copy(), negative, self._outfit.copy())


def _ordered_pairs(
    members: Sequence[Sequence[int]], sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(anchor, positive, outfit) for every ordered pair of distinct members of each outfit,
    built per outfit size so each size is one gather."""
    anchors, positives, outfits = [], [], []
    for size in np.unique(sizes):
        if size < 2:
            continue
        which = np.flatnonzero(sizes == size)
        table = np.array([members[o] for o in which], dtype=np.int64).reshape(len(which), size)
        first, second = np.nonzero(~np.eye(size, dtype=bool))
        anchors.append(table[:, first].ravel())
        positives.append(table[:, second].ravel())
        outfits.append(np.repeat(which, len(first)))
    if not anchors:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy()
    anchor, positive, outfit = (np.concatenate(a) for a in (anchors, positives, outfits))
    order = np.argsort(outfit, kind="stable")  # outfit-grouped, the unshuffled order
    return anchor[order], positive[order], outfit[order]
