"""Outfit-level FITB as one inner-product search.

For a candidate c of type v and outfit items x_i of types u_i, with z = type-pair projections,

    sum_i |z_{u_i v}(x_i) - z_{u_i v}(c)|^2
      = sum_i |z_i|^2  -  < q, s_c >,
    s_c = [ z_{u v}(c) for every type u ] ++ [ |z_{u v}(c)|^2 for every type u ]
    q   = [ 2 * sum_{i: u_i = u} z_{u v}(x_i) for every u ] ++ [ -count(u_i = u) for every u ]

so one maximum-inner-product search over the items of type v returns the exact outfit-level
ranking under the squared distance. Projections come from model.scoring.project, the same
code the evaluator scores with.

Without per-space normalisation z_uv(x) = f(x) * m_uv, and the squares expand per dimension:

    sum_i |m_i * (f(x_i) - f(c))|^2 = sum_i |z_i|^2 - < q, [ f(c), f(c)^2 ] >,
    q = [ 2 * sum_i m_i^2 * f(x_i) ] ++ [ -sum_i m_i^2 ]          (m_i = m_{u_i v})

so the stored vector collapses to 2*D numbers whatever the number of types ("collapsed"
layout); the masks move into the query.

The "factored" layout stores D + T numbers: f(c) and, per source type u, the squared norm
s_u(c) = |f(c) * m_uv|^2. With r_u(c) = 1 / max(sqrt(s_u), eps) under per-space
normalisation (F.normalize's rule) and r_u = 1 without it, z_uv(c) = r_u(c) f(c) * m_uv, so

    sum_i |z_i - z_{u_i v}(c)|^2 = sum_i |z_i|^2
        - sum_i [ r_{u_i}(c) < 2 z_i * m_i, f(c) > - r_{u_i}(c)^2 s_{u_i}(c) ].

Unnormalised, r = 1 and this is one inner product, < [ sum_i 2 z_i * m_i, -count(u) ], x_c >:
a smaller exact embedding than "collapsed" (D + T < 2 D). Normalised, it is a product with
one column per outfit item and a per-item weighting: index/scan.py computes it over the
whole type (exact, Flat only), reading D + T numbers per item instead of per_pair's T*D + T.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from index.config import Layout
from model.scoring import project


def stored_vectors(
    embeddings: torch.Tensor, target_type: int, masks: torch.Tensor, pair_table: torch.Tensor,
    normalize: bool,
) -> torch.Tensor:
    """(N, D) general embeddings of items of `target_type` -> (N, T*D + T) stored vectors."""
    n_types = pair_table.shape[0]
    blocks, norms = [], []
    for u in range(n_types):
        pair = pair_table[u, target_type].expand(len(embeddings))
        z = project(embeddings, pair, masks, normalize)
        blocks.append(z)
        norms.append(z.pow(2).sum(-1, keepdim=True))
    return torch.cat(blocks + norms, dim=1)


def query_vector(
    outfit_embeddings: torch.Tensor, outfit_types: torch.Tensor, target_type: int,
    masks: torch.Tensor, pair_table: torch.Tensor, normalize: bool,
) -> tuple[torch.Tensor, float]:
    """Query q and the constant sum_i |z_i|^2, so that distance = constant - <q, s_c>."""
    n_types, dim = pair_table.shape[0], masks.shape[1]
    pair = pair_table[outfit_types, target_type]
    z = project(outfit_embeddings, pair, masks, normalize)  # (L, D)
    # index_put_ rather than index_add_: the latter opens an OpenMP region even for four
    # rows, which costs milliseconds per query on a busy machine
    sums = torch.zeros(n_types, dim, dtype=z.dtype).index_put_((outfit_types,), z,
                                                               accumulate=True)
    counts = torch.bincount(outfit_types, minlength=n_types).to(z.dtype)
    q = torch.cat([2.0 * sums.reshape(-1), -counts])
    return q, float(z.pow(2).sum())


def collapsed_stored_vectors(embeddings: torch.Tensor) -> torch.Tensor:
    """(N, D) general embeddings -> (N, 2*D) [f, f^2]; the same for every target type."""
    return torch.cat([embeddings, embeddings.pow(2)], dim=1)


def collapsed_query_vector(
    outfit_embeddings: torch.Tensor, outfit_types: torch.Tensor, target_type: int,
    masks: torch.Tensor, pair_table: torch.Tensor,
) -> tuple[torch.Tensor, float]:
    """Query and constant for the collapsed layout (unnormalised spaces only)."""
    weights = masks[pair_table[outfit_types, target_type]].pow(2)  # (L, D): m_i^2
    q = torch.cat([2.0 * (weights * outfit_embeddings).sum(0), -weights.sum(0)])
    return q, float((weights * outfit_embeddings.pow(2)).sum())


def factored_stored_vectors(embeddings: torch.Tensor, target_type: int, masks: torch.Tensor,
                            pair_table: torch.Tensor) -> torch.Tensor:
    """(N, D) general embeddings -> (N, D + T): [f, |f * m_uv|^2 for every type u]."""
    squared = (embeddings.pow(2) @ masks[pair_table[:, target_type]].pow(2).T)
    return torch.cat([embeddings, squared], dim=1)


@dataclass(frozen=True)
class FactoredQuery:
    """One outfit against the factored vectors of a target type (see the module docstring)."""

    weights: torch.Tensor  # (L, D): 2 z_i * m_i per outfit item
    types: torch.Tensor  # (L,) the items' types u_i: which s_u and r_u each column uses
    constant: float  # sum_i |z_i|^2

    def inner_product(self, n_types: int) -> torch.Tensor:
        """The single query vector of unnormalised spaces: score = < q, x_c >."""
        counts = torch.bincount(self.types, minlength=n_types).to(self.weights.dtype)
        return torch.cat([self.weights.sum(0), -counts])


def factored_query(outfit_embeddings: torch.Tensor, outfit_types: torch.Tensor,
                   target_type: int, masks: torch.Tensor, pair_table: torch.Tensor,
                   normalize: bool) -> FactoredQuery:
    pair = pair_table[outfit_types, target_type]
    z = project(outfit_embeddings, pair, masks, normalize)  # the scorer's projection
    return FactoredQuery(2.0 * z * masks[pair], outfit_types, float(z.pow(2).sum()))


def vector_dim(layout: Layout, n_types: int, dim: int) -> int:
    return {"collapsed": 2 * dim, "factored": dim + n_types}.get(layout,
                                                                 n_types * dim + n_types)


def item_vectors(
    layout: Layout, embeddings: torch.Tensor, target_type: int, masks: torch.Tensor,
    pair_table: torch.Tensor, normalize: bool,
) -> torch.Tensor:
    if layout == "collapsed":
        _require_unnormalised(normalize)
        return collapsed_stored_vectors(embeddings)
    if layout == "factored":  # the norms are unnormalised whatever the spaces: r comes later
        return factored_stored_vectors(embeddings, target_type, masks, pair_table)
    return stored_vectors(embeddings, target_type, masks, pair_table, normalize)


def outfit_query(
    layout: Layout, outfit_embeddings: torch.Tensor, outfit_types: torch.Tensor,
    target_type: int, masks: torch.Tensor, pair_table: torch.Tensor, normalize: bool,
) -> tuple[torch.Tensor, float]:
    if layout == "collapsed":
        _require_unnormalised(normalize)
        return collapsed_query_vector(outfit_embeddings, outfit_types, target_type, masks,
                                      pair_table)
    if layout == "factored":
        if normalize:
            raise ValueError("factored vectors of normalised spaces are not one inner product: "
                             "search them with index/scan.py (Flat only)")
        query = factored_query(outfit_embeddings, outfit_types, target_type, masks,
                               pair_table, normalize)
        return query.inner_product(pair_table.shape[0]), query.constant
    return query_vector(outfit_embeddings, outfit_types, target_type, masks, pair_table,
                        normalize)


def _require_unnormalised(normalize: bool) -> None:
    if normalize:
        raise ValueError("the collapsed layout is exact only for unnormalised type-pair spaces")
