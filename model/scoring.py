"""The one scorer: pair distances in type-pair spaces, outfit compatibility and FITB ranking.

The offline evaluator, the FAISS index builder and the API all call this module, so a score
means the same thing everywhere (a test checks the API against `lookbook evaluate`).
Everything is vectorised over padded index arrays: -1 marks padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

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


def project(
    embeddings: torch.Tensor, pair_index: torch.Tensor, masks: torch.Tensor, normalize: bool
) -> torch.Tensor:
    """z_uv(x) = f(x) * m_uv, optionally L2-normalised; `masks` are already non-negative."""
    z = embeddings * masks[pair_index]
    return F.normalize(z, dim=-1) if normalize else z


def pair_distance(
    a: torch.Tensor,
    b: torch.Tensor,
    pair_index: torch.Tensor,
    masks: torch.Tensor,
    normalize: bool,
    squared: bool = False,
) -> torch.Tensor:
    """d_uv(a, b) over the last dimension, each row in its own type-pair space."""
    diff = project(a, pair_index, masks, normalize) - project(b, pair_index, masks, normalize)
    sq = diff.pow(2).sum(-1)
    # clamp keeps the gradient of sqrt finite when two items coincide
    return sq if squared else sq.clamp_min(1e-12).sqrt()


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

    @torch.inference_mode()
    def fitb_distances(self, outfits: torch.Tensor, candidates: torch.Tensor) -> torch.Tensor:
        """(Q, L) padded outfit items, (Q, C) candidates -> (Q, C) sum_i d(x_i, c)."""
        out = []
        for start in range(0, len(outfits), CHUNK):
            o = outfits[start : start + CHUNK]
            c = candidates[start : start + CHUNK]
            valid = o != PAD
            d = self._distance(o.clamp_min(0)[:, :, None], c[:, None, :])  # (q, L, C)
            out.append((d * valid[:, :, None]).sum(1))
        return torch.cat(out) if out else torch.empty(0, candidates.shape[1])

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
        """(O, L) padded outfits -> (O,) mean pair distance; lower is more compatible."""
        out = []
        for start in range(0, len(outfits), CHUNK):
            d = self.outfit_pair_distances(outfits[start : start + CHUNK])
            out.append(d.nanmean(dim=(1, 2)))
        return torch.cat(out) if out else torch.empty(0)

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


def pad_index_lists(rows: list[list[int]], width: int | None = None) -> torch.Tensor:
    """Lists of item indices -> (len(rows), width) long tensor padded with PAD."""
    width = width or max((len(r) for r in rows), default=1)
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.as_tensor(r, dtype=torch.long)
    return out
