"""Outfit-level FITB as one inner-product search.

For a candidate c of type v and outfit items x_i of types u_i, with z = type-pair projections,

    sum_i |z_{u_i v}(x_i) - z_{u_i v}(c)|^2
      = sum_i |z_i|^2  -  < q, s_c >,
    s_c = [ z_{u v}(c) for every type u ] ++ [ |z_{u v}(c)|^2 for every type u ]
    q   = [ 2 * sum_{i: u_i = u} z_{u v}(x_i) for every u ] ++ [ -count(u_i = u) for every u ]

so one maximum-inner-product search over the items of type v returns the exact outfit-level
ranking under the squared distance. Projections come from model.scoring.project, the same
code the evaluator scores with.
"""

from __future__ import annotations

import torch

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
    sums = torch.zeros(n_types, dim, dtype=z.dtype).index_add_(0, outfit_types, z)
    counts = torch.bincount(outfit_types, minlength=n_types).to(z.dtype)
    q = torch.cat([2.0 * sums.reshape(-1), -counts])
    return q, float(z.pow(2).sum())
