"""A loaded artifact bundle: the catalog, its scorer and one FAISS index per target type.

Loading checks the manifest fully (files, hashes, dims, counts) before anything is served.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import torch

from index.factory import (
    and_selector,
    batch_selector,
    not_selector,
    search_parameters,
    set_search_defaults,
)
from index.manifest import BundleError, Manifest, read_manifest, verify_files
from index.mmr import mmr_order
from index.scan import FactoredScan
from index.vectors import factored_query, outfit_query, vector_dim
from model.calibration import platt_probability
from model.scoring import OutfitScorer, build_pair_table, n_pairs, project

# A restriction (ids, category) leaving at most this many items is scored directly by the
# scorer (about 5 ms): exact whatever the index kind, where an ANN index with a selective
# filter could miss items or return fewer than k.
SUBSET_SCORE_MAX = 2048
# The factored scan fetches this many hits beyond those asked for and re-scores them all
SCAN_RESCORE_MARGIN = 10
# Diversity re-ranking picks k out of the best max(4k, 40) hits
MMR_POOL_FACTOR, MMR_POOL_MIN = 4, 40


@dataclass
class SearchHit:
    index: int  # row in the catalog
    distance: float  # the scorer's FITB distance: sum over outfit items


class CatalogIndex:
    def __init__(self, bundle: Path | None, manifest: Manifest, items: list[dict],
                 scorer: OutfitScorer, indices: dict[int, faiss.Index],
                 removed: np.ndarray | None = None):
        self.bundle = bundle
        self.manifest = manifest
        self.items = items
        self.scorer = scorer
        self.indices = indices
        self.types = tuple(manifest.types)
        self.layout = manifest.layout
        self.refine = manifest.index_config.refine
        self.removed = np.unique(np.asarray([] if removed is None else removed, dtype=np.int64))
        # later rows win: an item removed and added again resolves to its live row
        self.row_of = {item["item_id"]: i for i, item in enumerate(items)}
        item_types = scorer.item_types.numpy()
        self._rows_of_type = {t: np.flatnonzero(item_types == t) for t in range(len(self.types))}
        self._categories: np.ndarray | None = None
        self._category_rows: dict[tuple[int, str], np.ndarray] = {}
        self._tombstones = {}
        # factored Flat indices of normalised spaces are scanned by index/scan.py: their score
        # is no inner product (unnormalised, it is one, and faiss searches it)
        scanned = (self.layout == "factored" and manifest.normalize_spaces
                   and manifest.index_config.is_flat)
        self._scans = ({t: FactoredScan(index, manifest.embedding_dim)
                        for t, index in indices.items()} if scanned else {})
        for entry in manifest.indices:
            if entry.tombstones:
                t = self.types.index(entry.type)
                dead = np.intersect1d(self.removed, self._rows_of_type[t])
                self._tombstones[t] = not_selector(batch_selector(dead))

    @classmethod
    def load(cls, bundle: Path) -> CatalogIndex:
        bundle = Path(bundle)
        manifest = read_manifest(bundle)
        verify_files(bundle, manifest)
        items = json.loads((bundle / "items.json").read_text(encoding="utf-8"))
        embeddings = np.load(bundle / "embeddings.npy", allow_pickle=False)
        masks = np.load(bundle / "masks.npy", allow_pickle=False)
        removed = np.load(bundle / "removed.npy", allow_pickle=False)
        n_types, dim = len(manifest.types), manifest.embedding_dim
        if embeddings.shape != (manifest.n_items, dim) or len(items) != manifest.n_items:
            raise BundleError(
                f"{bundle}: embeddings {embeddings.shape} / {len(items)} items do not match the "
                f"manifest ({manifest.n_items} items, dim {dim}); rebuild the bundle"
            )
        if masks.shape != (n_pairs(n_types), dim):
            raise BundleError(f"{bundle}: masks have shape {masks.shape}, expected "
                              f"{(n_pairs(n_types), dim)}; rebuild the bundle")
        if len(removed) != manifest.n_removed:
            raise BundleError(f"{bundle}: removed.npy lists {len(removed)} rows, the manifest "
                              f"{manifest.n_removed}; rebuild the bundle")
        if [e.type for e in manifest.indices] != manifest.types:
            raise BundleError(f"{bundle}: the manifest's indices are not one per type, in the "
                              "order of its types; rebuild the bundle")
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
        expected_dim = vector_dim(manifest.layout, n_types, dim)
        for entry in manifest.indices:
            index = faiss.read_index(str(bundle / entry.file))
            if index.d != expected_dim or index.d != entry.dim or index.ntotal != entry.count:
                raise BundleError(
                    f"{bundle}: {entry.file} has dim {index.d} and {index.ntotal} vectors, the "
                    f"manifest says dim {entry.dim} ({expected_dim} expected for the "
                    f"{manifest.layout} layout) and {entry.count}"
                )
            if entry.model_hash != manifest.model_hash:
                raise BundleError(f"{bundle}: {entry.file} was built with model "
                                  f"{entry.model_hash}, the bundle's is {manifest.model_hash}")
            set_search_defaults(index, entry.search_params.get("nprobe"),
                                entry.search_params.get("efSearch"))
            indices[type_of[entry.type]] = index
        return cls(bundle, manifest, items, scorer, indices, removed)

    # -- the catalog as served -----------------------------------------------------------
    def live_rows(self, target_type: int | None = None) -> np.ndarray:
        """Rows of live items (of one type, or all) in catalog order: removed rows left out,
        as a search leaves them out. GET /items lists these and GET /types counts them."""
        rows = (np.arange(len(self.items)) if target_type is None
                else self._rows_of_type[target_type])
        return np.setdiff1d(rows, self.removed, assume_unique=True)

    def is_live(self, row: int) -> bool:
        """Whether the row is served: not removed from stock."""
        index = np.searchsorted(self.removed, row)
        return not (index < len(self.removed) and self.removed[index] == row)

    def live_counts(self) -> list[int]:
        """Live items per type, in the order of `types`."""
        return [len(self.live_rows(t)) for t in range(len(self.types))]

    def set_search_params(self, *, nprobe: int | None = None, ef_search: int | None = None,
                          refine: int | None = None) -> None:
        """Trade recall for speed on the loaded indices (IVF: nprobe, HNSW: efSearch, any:
        how many hits the scorer re-ranks); None keeps the manifest's value."""
        for index in self.indices.values():
            set_search_defaults(index, nprobe, ef_search)
        if refine is not None:
            if refine < 0:
                raise ValueError(f"refine must be >= 0, got {refine}")
            self.refine = refine

    # -- scoring -------------------------------------------------------------------------
    def probability(self, mean_distance) -> np.ndarray:
        c = self.manifest.calibration
        return platt_probability(mean_distance, c.slope, c.intercept)

    def rank_candidates(self, outfit: list[int], candidates: list[int]) -> list[SearchHit]:
        if not candidates:
            return []
        # one question: the scorer's NumPy path, as the API's candidate ranking uses
        distances = self.scorer.fitb_row(outfit, candidates).tolist()
        # stable sort: equal distances keep the caller's candidate order
        order = sorted(range(len(candidates)), key=lambda i: distances[i])
        return [SearchHit(candidates[i], distances[i]) for i in order]

    def search(self, outfit: list[int], target_type: int, k: int,
               exclude: Collection[int] = frozenset(), *,
               restrict_ids: Collection[int] | None = None, category_id: str | None = None,
               mmr_lambda: float | None = None) -> list[SearchHit]:
        """Top-k catalog items of `target_type` for the whole outfit, in one FAISS search.

        `exclude`: rows never returned; `restrict_ids` (rows) and `category_id` (items.json's
        fine category) keep only the items matching both; removed items never come back.
        `mmr_lambda` in [0, 1] re-orders the best max(4k, 40) hits by maximal marginal
        relevance, similarity measured in the target type's own space; 1 = plain ranking.

        The inner-product search is exact for the squared distance with a Flat index; under
        plain L2, or with `refine` set, its hits are re-scored and re-ordered by the scorer
        (docs/index.md explains both).
        """
        index = self.indices.get(target_type)
        if index is None or index.ntotal == 0 or k <= 0:
            return []
        if mmr_lambda is not None and not 0.0 <= mmr_lambda <= 1.0:
            raise ValueError(f"mmr_lambda must lie in [0, 1], got {mmr_lambda}")
        pool = k if mmr_lambda is None else max(MMR_POOL_FACTOR * k, MMR_POOL_MIN)
        types = self.scorer.item_types
        banned = np.array(sorted(r for r in exclude if int(types[r]) == target_type),
                          dtype=np.int64)
        allowed = self._allowed(target_type, restrict_ids, category_id)
        if allowed is not None and len(allowed) <= SUBSET_SCORE_MAX:
            hits = self.rank_candidates(outfit, np.setdiff1d(allowed, banned).tolist())[:pool]
        else:
            hits = self._index_search(index, outfit, target_type, pool, banned, allowed)
        if mmr_lambda is not None:
            hits = self._diversify(outfit, target_type, hits, k, mmr_lambda)
        return hits[:k]

    def _allowed(self, target_type: int, restrict_ids: Collection[int] | None,
                 category_id: str | None) -> np.ndarray | None:
        if restrict_ids is None and category_id is None:
            return None
        rows = self._rows_of_type[target_type]
        if restrict_ids is not None:
            rows = np.intersect1d(rows, np.fromiter(restrict_ids, dtype=np.int64))
        if category_id is not None:
            rows = np.intersect1d(rows, self._rows_of_category(target_type, str(category_id)))
        return np.setdiff1d(rows, self.removed)

    def _rows_of_category(self, target_type: int, category_id: str) -> np.ndarray:
        key = (target_type, category_id)
        if key not in self._category_rows:
            if self._categories is None:  # built on first use: most servers never filter
                self._categories = np.array(
                    [str(item.get("category_id", "")) for item in self.items])
            rows = self._rows_of_type[target_type]
            self._category_rows[key] = rows[self._categories[rows] == category_id]
        return self._category_rows[key]

    def _index_search(self, index: faiss.Index, outfit: list[int], target_type: int,
                      pool: int, banned: np.ndarray, allowed: np.ndarray | None
                      ) -> list[SearchHit]:
        sc = self.scorer
        o = torch.tensor(outfit, dtype=torch.long)
        refine = self.refine
        scan = self._scans.get(target_type)
        if scan is not None:
            # the scan's shortlist is re-scored by the scorer (below): its float rounding
            # (a constant minus a score) then never decides between near-equal items
            refine = max(refine, pool + SCAN_RESCORE_MARGIN)
        fetch = min(index.ntotal, max(pool, refine))
        if scan is not None:
            query = factored_query(sc.embeddings[o], sc.item_types[o], target_type, sc.masks,
                                   sc.pair_table, sc.normalize)
            rows, scores = scan.search(query, fetch, banned=banned, allowed=allowed)
            constant = query.constant
        else:
            q, constant = outfit_query(self.layout, sc.embeddings[o], sc.item_types[o],
                                       target_type, sc.masks, sc.pair_table, sc.normalize)
            selector = and_selector(
                batch_selector(allowed) if allowed is not None else None,
                not_selector(batch_selector(banned)) if len(banned) else None,
                self._tombstones.get(target_type),
            )
            found_scores, ids = index.search(q.numpy()[None].astype(np.float32), fetch,
                                             params=search_parameters(index, selector))
            found = ids[0] >= 0
            rows, scores = ids[0][found], found_scores[0][found]
        if refine or not sc.squared:
            return self.rank_candidates(outfit, rows.tolist())[:pool]
        return [SearchHit(int(r), max(constant - float(s), 0.0))
                for r, s in zip(rows, scores, strict=True)]

    def _diversify(self, outfit: list[int], target_type: int, hits: list[SearchHit], k: int,
                   lam: float) -> list[SearchHit]:
        if len(hits) <= 1:
            return hits
        sc = self.scorer
        rows = torch.tensor([h.index for h in hits], dtype=torch.long)
        pair = sc.pair_table[target_type, target_type].expand(len(rows))
        z = project(sc.embeddings[rows], pair, sc.masks, sc.normalize)
        between = torch.cdist(z, z)
        if sc.squared:
            between = between.pow(2)
        # both terms are distances in type-pair spaces: the FITB one averaged per outfit item
        relevance = -np.array([h.distance for h in hits]) / max(len(outfit), 1)
        order = mmr_order(relevance, -between.numpy(), k, lam)
        return [hits[i] for i in order]

