"""Exact search over the factored vectors (index/vectors.py) of normalised spaces, Flat only.

There the score of candidate c,

    score(c) = sum_j r_{u_j}(c) < w_j, f(c) > - r_{u_j}(c)^2 s_{u_j}(c),

is not one inner product (r depends on c), so faiss cannot rank it. It is one matrix
product of the type's f(c) with a row per outfit item (the < w_j, f >), weighted by r and
shifted by r^2 s, both computed once per item at load: one pass over D numbers per item,
where the per_pair inner product reads T*D + T of them. The vectors are read in place from
the Flat index that stores them (no copy), so adding and removing items works as for any
Flat index (index/mutate.py). Unnormalised, r = 1, the score is one inner product and
faiss's Flat search ranks it (faster than a torch matrix-vector product over the same
vectors on one query, docs/index.md).
"""

from __future__ import annotations

import faiss
import numpy as np
import torch

from index.vectors import FactoredQuery

# F.normalize's floor on a projection's norm: r = 1 / max(|f * m|, EPS), as in the scorer
EPS = 1e-12


class FactoredScan:
    """The vectors and ids of one IDMap2(Flat) index, scored without faiss."""

    def __init__(self, index: faiss.Index, dim: int):
        # the view below points into the index's memory: keep the object that owns it alive
        # (a downcast wrapper does not own it)
        self._index = index
        index = faiss.downcast_index(index)
        if not isinstance(index, faiss.IndexIDMap2):
            raise TypeError(f"a factored scan reads an IDMap2 index, not {type(index).__name__}")
        flat = faiss.downcast_index(index.index)
        if not isinstance(flat, faiss.IndexFlat):
            raise TypeError(f"a factored scan reads a Flat index, not {type(flat).__name__}")
        n, d = int(flat.ntotal), int(flat.d)
        view = faiss.rev_swig_ptr(flat.get_xb(), n * d) if n else np.empty(0, np.float32)
        vectors = torch.from_numpy(view.reshape(n, d))
        self.features = vectors[:, :dim]  # f(c), read in place by every query
        # per type u and item: r_u and r_u^2 s_u, (T, N) rows. They depend on the item only,
        # so they are computed once here (8 bytes per item and type, in memory only) and a
        # query reads the rows of its outfit's types, contiguous, instead of a column of x
        squared = vectors[:, dim:].T.contiguous()
        self.inverse = squared.sqrt().clamp_min_(EPS).reciprocal_()
        self.self_term = squared * self.inverse * self.inverse
        self.ids = faiss.vector_to_array(index.id_map).astype(np.int64)
        # rows are added in increasing order and Flat removal keeps the order; a dict covers
        # any other history
        self._sorted = bool(np.all(np.diff(self.ids) > 0))
        self._position = None if self._sorted else {r: p for p, r in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Positions of the given rows in the index; rows it does not hold are dropped."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._position is not None:
            return np.array([self._position[r] for r in rows.tolist() if r in self._position],
                            dtype=np.int64)
        found = np.searchsorted(self.ids, rows).clip(max=max(len(self.ids) - 1, 0))
        return found[self.ids[found] == rows] if len(self.ids) else found[:0]

    @torch.inference_mode()
    def scores(self, query: FactoredQuery) -> torch.Tensor:
        """(N,) score of every vector, higher = closer; distance = query.constant - score."""
        # (L, N) rather than (N, L): MKL's product is faster this way round, and the
        # element-wise steps then run over contiguous rows
        dots = query.weights @ self.features.T  # the one pass over the vectors
        return (self.inverse[query.types] * dots - self.self_term[query.types]).sum(0)

    @torch.inference_mode()
    def search(self, query: FactoredQuery, k: int, *, banned: np.ndarray | None = None,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows and scores of the k best, best first; `banned` rows never come back and, when
        given, only `allowed` rows do."""
        scores = self.scores(query)
        if allowed is not None:
            keep = torch.zeros(len(scores), dtype=torch.bool)
            keep[torch.from_numpy(self.positions(allowed))] = True
            scores.masked_fill_(~keep, -torch.inf)
        if banned is not None and len(banned):
            scores[torch.from_numpy(self.positions(banned))] = -torch.inf
        top = torch.topk(scores, min(k, len(scores)))
        live = torch.isfinite(top.values)
        positions = top.indices[live].numpy()
        return self.ids[positions], top.values[live].numpy()
