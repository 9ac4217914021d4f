"""The one scorer: pair distances in type-pair spaces, outfit compatibility and FITB ranking.

The offline evaluator, the FAISS index builder and the API all call this module, so a score
means the same thing everywhere (a test checks the API against `lookbook evaluate`).
Everything is vectorised over padded index arrays: -1 marks padding.

The distance is written once and runs on torch tensors (training, batched evaluation, any
device) or NumPy arrays (the API's one-outfit questions: a request's handful of items costs a
few microseconds per NumPy call against several per torch op, which was a third of a
request's CPU time). Both take the same code path below.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import torch

PAD = -1
# Rows per chunk when scoring many outfits at once: bounds memory to a few hundred MB for
# Polyvore-sized task files whatever their length.
CHUNK = 2048


def build_pair_table(n_types: int) -> torch.Tensor:
    """(n, n) table of the unordered type-pair index, same-type pairs included.

    Pairs are numbered in the order of `itertools.combinations_with_replacement(range(n), 2)`,
    the order of `model.data.polyvore.type_pairs` over the sorted type names.
    """
    table = torch.empty(n_types, n_types, dtype=torch.long)
    index = 0
    for u in range(n_types):
        for v in range(u, n_types):
            table[u, v] = table[v, u] = index
            index += 1
    return table


def n_pairs(n_types: int) -> int:
    return n_types * (n_types + 1) // 2


# F.normalize's floor on the norm, so that both array types divide by the same number
NORM_EPS = 1e-12


def _row_norm(z):
    """L2 norm over the last dimension, kept for broadcasting; torch or NumPy."""
    if isinstance(z, np.ndarray):
        return np.sqrt(np.einsum("...d,...d->...", z, z))[..., None]
    return torch.linalg.vector_norm(z, dim=-1, keepdim=True)


def _clamp_min(x, floor: float):
    return np.maximum(x, floor) if isinstance(x, np.ndarray) else x.clamp_min(floor)


def project(embeddings, pair_index, masks, normalize: bool):
    """z_uv(x) = f(x) * m_uv, optionally L2-normalised; `masks` are already non-negative.

    Torch tensors or NumPy arrays, all of one kind."""
    return _masked(embeddings, masks[pair_index], normalize)


def _masked(embeddings, mask, normalize: bool):
    z = embeddings * mask
    return z / _clamp_min(_row_norm(z), NORM_EPS) if normalize else z


def pair_distance(a, b, pair_index, masks, normalize: bool, squared: bool = False):
    """d_uv(a, b) over the last dimension, each row in its own type-pair space.

    Torch tensors (differentiable: the training loss calls this) or NumPy arrays."""
    mask = masks[pair_index]  # gathered once for both sides
    diff = _masked(a, mask, normalize) - _masked(b, mask, normalize)
    sq = (diff * diff).sum(-1)
    if squared:
        return sq
    # clamp keeps the gradient of sqrt finite when two items coincide
    sq = _clamp_min(sq, 1e-12)
    return np.sqrt(sq) if isinstance(sq, np.ndarray) else sq.sqrt()


@dataclass
class OutfitScorer:
    """Scores outfits of catalog items given their general embeddings and the type masks."""

    embeddings: torch.Tensor  # (N, D) general embeddings f(x)
    item_types: torch.Tensor  # (N,) long type index
    masks: torch.Tensor  # (P, D) non-negative masks
    pair_table: torch.Tensor  # (T, T) long
    normalize: bool = True
    squared: bool = True

    def _distance(self, a_idx: torch.Tensor, b_idx: torch.Tensor) -> torch.Tensor:
        pair = self.pair_table[self.item_types[a_idx], self.item_types[b_idx]]
        return pair_distance(
            self.embeddings[a_idx],
            self.embeddings[b_idx],
            pair,
            self.masks,
            self.normalize,
            self.squared,
        )

    @cached_property
    def _host(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """NumPy views (copies from a GPU) of the tensors, for the one-outfit methods."""
        def host(t: torch.Tensor) -> np.ndarray:
            return t.detach().cpu().numpy()

        return (host(self.embeddings), host(self.item_types), host(self.masks),
                host(self.pair_table))

    def _host_distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        embeddings, types, masks, table = self._host
        return pair_distance(embeddings[a], embeddings[b], table[types[a], types[b]], masks,
                             self.normalize, self.squared)

    def types_of(self, rows: Sequence[int]) -> list[int]:
        """The type index of each row, as plain ints."""
        return self._host[1][np.asarray(rows, dtype=np.int64)].tolist()

    def pair_matrix(self, outfit: Sequence[int]) -> np.ndarray:
        """One outfit's (n, n) pair distances, NaN off the upper triangle.

        Equals `outfit_pair_distances` of that outfit alone, computed in NumPy."""
        idx = np.asarray(outfit, dtype=np.int64)
        n = len(idx)
        a, b = _upper_pairs(n)
        out = np.full((n, n), np.nan, dtype=self._host[0].dtype)
        out[a, b] = self._host_distance(idx[a], idx[b])
        return out

    def fitb_row(self, outfit: Sequence[int], candidates: Sequence[int]) -> np.ndarray:
        """(C,) sum over the outfit's items of d(x_i, c): `fitb_distances` of one question,
        computed in NumPy. The request's (n, C, D) temporaries bound C (service.RANK_CHUNK)."""
        idx = np.asarray(outfit, dtype=np.int64)
        cand = np.asarray(candidates, dtype=np.int64)
        return self._host_distance(idx[:, None], cand[None, :]).sum(0)

    def fitb_question(self, outfit: Sequence[int],
                      candidates: Sequence[int]) -> tuple[np.ndarray, float]:
        """`fitb_row` and the sum of the outfit's own pair distances, in one pass: what the
        mean distance of the outfit completed with each candidate needs (the API's
        calibrated probability per candidate), for the price of one call."""
        idx = np.asarray(outfit, dtype=np.int64)
        cand = np.asarray(candidates, dtype=np.int64)
        n, c = len(idx), len(cand)
        a, b = _upper_pairs(n)
        d = self._host_distance(np.concatenate([idx[a], np.repeat(idx, c)]),
                                np.concatenate([idx[b], np.tile(cand, n)]))
        return d[len(a):].reshape(n, c).sum(0), float(d[:len(a)].sum())

    @torch.inference_mode()
    def fitb_distances(self, outfits: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """(Q, L) padded outfit items, (Q, C) candidates -> (Q, C) sum_i d(x_i, c)."""
        out = torch.zeros(candidates.shape, dtype=self.embeddings.dtype,
                          device=candidates.device)
        for rows, items in _length_groups(outfits):
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                o = items[start : start + CHUNK]
                d = self._distance(o[:, :, None], candidates[chunk][:, None, :])  # (q, n, C)
                out[chunk] = d.sum(1)
        return out

    @torch.inference_mode()
    def outfit_pair_distances(self, outfits: torch.Tensor) -> torch.Tensor:
        """(O, L) padded outfits -> (O, L, L) pair distances, NaN off the valid upper triangle."""
        valid = outfits != PAD
        idx = outfits.clamp_min(0)
        d = self._distance(idx[:, :, None], idx[:, None, :])
        length = outfits.shape[1]
        upper = torch.ones(length, length, dtype=torch.bool).triu(1)
        keep = valid[:, :, None] & valid[:, None, :] & upper
        return d.masked_fill(~keep, float("nan"))

    @torch.inference_mode()
    def compatibility_distances(self, outfits: torch.Tensor) -> torch.Tensor:
        """(O, L) padded outfits -> (O,) mean pair distance; lower is more compatible.

        NaN for an outfit of fewer than two items. Only each outfit's own n(n-1)/2 pairs are
        computed: padding every outfit to the longest (19 items in Polyvore) cost several times
        the work, at every validation."""
        out = torch.full((len(outfits),), float("nan"), dtype=self.embeddings.dtype,
                         device=outfits.device)
        for rows, items in _length_groups(outfits):
            n = items.shape[1]
            if n < 2:
                continue
            a, b = torch.triu_indices(n, n, 1, device=outfits.device)
            for start in range(0, len(rows), CHUNK):
                o = items[start : start + CHUNK]
                out[rows[start : start + CHUNK]] = self._distance(o[:, a], o[:, b]).mean(1)
        return out

    @torch.inference_mode()
    def completed_compatibility(self, outfit: torch.Tensor, candidates: torch.Tensor):
        """Mean pair distance of the outfit completed with each candidate, (C,).

        Internal pairs are shared by every candidate, so this is monotone in the FITB
        distance: the API's per-candidate probability never contradicts the ranking.
        """
        n = int((outfit != PAD).sum())
        internal = self.outfit_pair_distances(outfit[None]).nansum() if n > 1 else 0.0
        fitb = self.fitb_distances(outfit[None], candidates[None])[0]
        return (internal + fitb) / ((n + 1) * n / 2)


def _length_groups(outfits: torch.Tensor):
    """(rows, items) per outfit length: the rows of `outfits` with n valid items, and those
    items as a (len(rows), n) tensor, in their order, padding dropped wherever it sat."""
    valid = outfits != PAD
    lengths = valid.sum(1)
    for n in lengths.unique().tolist():
        rows = (lengths == n).nonzero().squeeze(1)
        group = outfits[rows]
        # a stable sort of the padding flags moves valid items first, keeping their order
        order = (~valid[rows]).to(torch.uint8).argsort(dim=1, stable=True)[:, :n]
        yield rows, group.gather(1, order)


@cache
def _upper_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of every pair a < b of n items (an outfit has at most a few dozen)."""
    a, b = np.triu_indices(n, 1)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def pad_index_lists(rows: list[list[int]], width: int | None = None) -> torch.Tensor:
    """Lists of item indices -> (len(rows), width) long tensor padded with PAD."""
    width = width or max((len(r) for r in rows), default=1)
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.as_tensor(r, dtype=torch.long)
    return out
