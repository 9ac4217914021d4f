"""A loaded artifact bundle: the catalog, its scorer and one FAISS index per target type.

Loading checks the manifest fully (files, hashes, dims, counts) before anything is served.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import torch

from index.manifest import BundleError, Manifest, read_manifest, verify_files
from index.vectors import query_vector
from model.calibration import platt_probability
from model.scoring import OutfitScorer, build_pair_table, n_pairs


@dataclass
class SearchHit:
    index: int  # row in the catalog
    distance: float  # the scorer's FITB distance: sum over outfit items


class CatalogIndex:
    def __init__(self, bundle: Path, manifest: Manifest, items: list[dict],
                 scorer: OutfitScorer, indices: dict[int, faiss.Index]):
        self.bundle = bundle
        self.manifest = manifest
        self.items = items
        self.scorer = scorer
        self.indices = indices
        self.types = tuple(manifest.types)
        self.row_of = {item["item_id"]: i for i, item in enumerate(items)}

    @classmethod
    def load(cls, bundle: Path) -> CatalogIndex:
        bundle = Path(bundle)
        manifest = read_manifest(bundle)
        verify_files(bundle, manifest)
        items = json.loads((bundle / "items.json").read_text(encoding="utf-8"))
        embeddings = np.load(bundle / "embeddings.npy", allow_pickle=False)
        masks = np.load(bundle / "masks.npy", allow_pickle=False)
        n_types, dim = len(manifest.types), manifest.embedding_dim
        if embeddings.shape != (manifest.n_items, dim) or len(items) != manifest.n_items:
            raise BundleError(
                f"{bundle}: embeddings {embeddings.shape} / {len(items)} items do not match the "
                f"manifest ({manifest.n_items} items, dim {dim}); rebuild the bundle"
            )
        if masks.shape != (n_pairs(n_types), dim):
            raise BundleError(f"{bundle}: masks have shape {masks.shape}, expected "
                              f"{(n_pairs(n_types), dim)}; rebuild the bundle")
        type_of = {t: i for i, t in enumerate(manifest.types)}
        try:
            item_types = torch.tensor([type_of[item["type"]] for item in items])
        except KeyError as exc:
            raise BundleError(f"{bundle}: items.json names unknown type {exc}") from exc
        scorer = OutfitScorer(
            embeddings=torch.from_numpy(embeddings), item_types=item_types,
            masks=torch.from_numpy(masks), pair_table=build_pair_table(n_types),
            normalize=manifest.normalize_spaces, squared=manifest.distance == "squared_l2",
        )
        indices = {}
        expected_dim = n_types * dim + n_types
        for entry in manifest.indices:
            index = faiss.read_index(str(bundle / entry.file))
            if index.d != expected_dim or index.d != entry.dim or index.ntotal != entry.count:
                raise BundleError(
                    f"{bundle}: {entry.file} has dim {index.d} and {index.ntotal} vectors, the "
                    f"manifest says dim {entry.dim} ({expected_dim} expected) and {entry.count}"
                )
            indices[type_of[entry.type]] = index
        return cls(bundle, manifest, items, scorer, indices)

    # -- scoring -------------------------------------------------------------------------
    def probability(self, mean_distance) -> np.ndarray:
        c = self.manifest.calibration
        return platt_probability(mean_distance, c.slope, c.intercept)

    def rank_candidates(self, outfit: list[int], candidates: list[int]) -> list[SearchHit]:
        o = torch.tensor([outfit], dtype=torch.long)
        c = torch.tensor([candidates], dtype=torch.long)
        distances = self.scorer.fitb_distances(o, c)[0].tolist()
        # stable sort: equal distances keep the caller's candidate order
        order = sorted(range(len(candidates)), key=lambda i: distances[i])
        return [SearchHit(candidates[i], distances[i]) for i in order]

    def search(self, outfit: list[int], target_type: int, k: int,
               exclude: set[int] = frozenset()) -> list[SearchHit]:
        """Top-k catalog items of `target_type` for the whole outfit, in one FAISS search.

        The inner-product search is exact for the squared distance; under plain L2 its hits are
        re-scored and re-ordered by the scorer (docs/index.md explains the difference).
        """
        index = self.indices.get(target_type)
        if index is None or index.ntotal == 0:
            return []
        sc = self.scorer
        o = torch.tensor(outfit, dtype=torch.long)
        q, constant = query_vector(sc.embeddings[o], sc.item_types[o], target_type,
                                   sc.masks, sc.pair_table, sc.normalize)
        fetch = min(index.ntotal, k + len(exclude))
        scores, ids = index.search(q.numpy()[None].astype(np.float32), fetch)
        rows = [int(i) for i in ids[0] if i >= 0 and int(i) not in exclude][:k]
        if not sc.squared:
            return self.rank_candidates(outfit, rows)
        by_row = {int(i): constant - float(s) for i, s in zip(ids[0], scores[0], strict=True)}
        return [SearchHit(r, max(by_row[r], 0.0)) for r in rows]
