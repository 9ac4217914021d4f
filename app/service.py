"""What the endpoints do, over a loaded CatalogIndex; routes only translate HTTP to calls."""

from __future__ import annotations

import torch

from app.core.config import Settings
from app.errors import InvalidOutfit, UnknownItem, UnknownType
from app.schemas import (
    CompatibilityRequest,
    CompatibilityResponse,
    FitbRequest,
    FitbResponse,
    ItemRef,
    RankedItem,
)
from index.search import CatalogIndex, SearchHit


def resolve(catalog: CatalogIndex, refs: list[ItemRef], what: str) -> list[int]:
    unknown = [r.item_id for r in refs if r.item_id not in catalog.row_of]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise UnknownItem(f"{what}: no catalog item with id {shown}; use ids the catalog serves "
                          "(GET /healthz tells which bundle is loaded)")
    rows = [catalog.row_of[r.item_id] for r in refs]
    if len(set(rows)) != len(rows):
        raise InvalidOutfit(f"{what}: an item appears more than once; list each item once")
    return rows


def _check_outfit(refs: list[ItemRef], settings: Settings, minimum: int) -> None:
    if len(refs) < minimum:
        raise InvalidOutfit(f"outfit: give at least {minimum} item(s), got {len(refs)}")
    if len(refs) > settings.max_outfit_items:
        raise InvalidOutfit(
            f"outfit: at most {settings.max_outfit_items} items, got {len(refs)}")


def _ranked(catalog: CatalogIndex, outfit: list[int], hits: list[SearchHit]) -> FitbResponse:
    n = len(outfit)
    internal = 0.0
    if n > 1:
        internal = float(catalog.scorer.outfit_pair_distances(torch.tensor([outfit])).nansum())
    completed_pairs = (n + 1) * n / 2
    probs = catalog.probability([(internal + h.distance) / completed_pairs for h in hits])
    ranking = []
    for hit, p in zip(hits, probs, strict=True):
        item = catalog.items[hit.index]
        ranking.append(RankedItem(item_id=item["item_id"], type=item["type"],
                                  title=item.get("title", ""), score=float(p),
                                  distance=hit.distance))
    return FitbResponse(ranking=ranking)


def fitb(catalog: CatalogIndex, body: FitbRequest, settings: Settings) -> FitbResponse:
    _check_outfit(body.outfit, settings, minimum=1)
    outfit = resolve(catalog, body.outfit, "outfit")
    if body.candidates is not None:
        if not body.candidates:
            raise InvalidOutfit("candidates: give at least one, or omit it to search the catalog")
        if len(body.candidates) > settings.max_candidates:
            raise InvalidOutfit(f"candidates: at most {settings.max_candidates}, "
                                f"got {len(body.candidates)}")
        candidates = resolve(catalog, body.candidates, "candidates")
        if set(candidates) & set(outfit):
            raise InvalidOutfit("candidates: a candidate is already in the outfit")
        return _ranked(catalog, outfit, catalog.rank_candidates(outfit, candidates))
    if body.blank_type is None:
        raise InvalidOutfit("give either candidates or blank_type (one of "
                            f"{', '.join(catalog.types)}) to search the catalog")
    if body.blank_type not in catalog.types:
        raise UnknownType(f"blank_type {body.blank_type!r} is not one of "
                          f"{', '.join(catalog.types)}")
    if body.k > settings.max_k:
        raise InvalidOutfit(f"k: at most {settings.max_k}, got {body.k}")
    hits = catalog.search(outfit, catalog.types.index(body.blank_type), body.k,
                          exclude=set(outfit))
    return _ranked(catalog, outfit, hits)


def compatibility(catalog: CatalogIndex, body: CompatibilityRequest,
                  settings: Settings) -> CompatibilityResponse:
    _check_outfit(body.outfit, settings, minimum=2)
    rows = resolve(catalog, body.outfit, "outfit")
    distance = float(catalog.scorer.compatibility_distances(torch.tensor([rows]))[0])
    return CompatibilityResponse(score=float(catalog.probability(distance)), distance=distance)
