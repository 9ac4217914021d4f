"""Retrieval evaluation (the CSA-Net protocol): hold out one item of each outfit, rank every
catalog item of its type for the rest of the outfit, report Recall@K of the held-out item."""

from __future__ import annotations

import numpy as np
import torch

from model.data.types import Outfit
from model.metrics import recall_at_k
from model.scoring import OutfitScorer, pad_index_lists

# Bytes of projected vectors one chunk may hold: bounds memory whatever the catalog size.
CHUNK_BYTES = 256 << 20


def held_out_queries(outfits: list[Outfit], item_index: dict[str, int], seed: int = 0):
    """(queries (Q, L) padded rows, held-out rows (Q,)) for outfits of 2 or more items; the
    held-out position is drawn per outfit from `seed`, so every model meets the same ones."""
    rng = np.random.default_rng(seed)
    queries, held = [], []
    for outfit in outfits:
        rows = [item_index[i] for i in outfit.item_ids]
        if len(rows) < 2:
            continue
        blank = int(rng.integers(len(rows)))
        held.append(rows[blank])
        queries.append(rows[:blank] + rows[blank + 1 :])
    return pad_index_lists(queries), np.array(held, dtype=np.int64)


@torch.inference_mode()
def retrieval_ranks(scorer: OutfitScorer, queries: torch.Tensor, held: np.ndarray) -> np.ndarray:
    """0-based rank of each held-out item among all catalog items of its type (ties count in
    its favour; the query's own items are left out), by the scorer's FITB distance."""
    held_t = torch.as_tensor(held)
    ranks = np.empty(len(held), dtype=np.int64)
    target_types = scorer.item_types[held_t]
    dim = scorer.embeddings.shape[1]
    for t in torch.unique(target_types).tolist():
        which = torch.nonzero(target_types == t).flatten()
        candidates = torch.nonzero(scorer.item_types == t).flatten()
        per_query = queries.shape[1] * len(candidates) * dim * 4
        step = max(1, CHUNK_BYTES // max(per_query, 1))
        for start in range(0, len(which), step):
            rows = which[start : start + step]
            q = queries[rows]
            d = scorer.fitb_distances(q, candidates.expand(len(rows), -1))  # (q, N_t)
            own = scorer.fitb_distances(q, held_t[rows][:, None])  # (q, 1)
            in_query = (candidates[None, :, None] == q[:, None, :]).any(-1)
            is_held = candidates[None, :] == held_t[rows][:, None]
            better = (d < own) & ~in_query & ~is_held
            ranks[rows.numpy()] = better.sum(1).numpy()
    return ranks


def retrieval_report(scorer: OutfitScorer, outfits: list[Outfit], item_index: dict[str, int],
                     seed: int = 0) -> dict:
    queries, held = held_out_queries(outfits, item_index, seed)
    if len(held) == 0:
        return {"n_retrieval": 0}
    ranks = retrieval_ranks(scorer, queries, held)
    return {**recall_at_k(ranks), "n_retrieval": len(held)}
