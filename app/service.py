"""What the endpoints do, over the served bundle; routes only translate HTTP to calls.

Every score comes from the bundle's OutfitScorer. A request with uploaded photos embeds them
with the exported model and scores over a request-local OutfitScorer: the catalog rows the
request involves followed by the uploads, with the bundle's masks. Same class, same code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import torch

from app.core.config import Settings
from app.errors import InvalidOutfit, TooLarge, UnknownItem, UnknownType, UploadsUnavailable
from app.schemas import (
    CompatibilityRequest,
    CompatibilityResponse,
    EmbedResponse,
    FitbRequest,
    FitbResponse,
    OutfitItem,
    PairDistance,
    RankedItem,
)
from app.state import Served
from app.uploads import base64_bytes, decode_image
from index.search import CatalogIndex, SearchHit
from model.scoring import OutfitScorer, project

EMPTY: Mapping[str, bytes] = MappingProxyType({})  # no multipart files
# Candidates scored at once by the request-local scorer: bounds its (L, C, D) temporaries
RANK_CHUNK = 4096


@dataclass
class Scope:
    """The scorer a request uses and where its outfit and candidates sit in it."""

    scorer: OutfitScorer
    outfit: list[int]
    candidates: list[int]
    # per scorer row: its catalog row (None for an upload); None when the scorer is the
    # catalog's own, whose rows are catalog rows
    catalog_rows: list[int | None] | None
    upload_position: dict[int, int]  # scorer row of an uploaded candidate -> its position


# Flat rows one retrieval may scan on the event loop (about a millisecond at 1,419 dims);
# bigger searches go to the thread pool so one request cannot stall the others.
INLINE_SCAN_ROWS = 20_000


def has_uploads(*groups: list[OutfitItem]) -> bool:
    return any(item.is_upload for group in groups for item in group)


def fitb_runs_inline(served: Served, body: FitbRequest) -> bool:
    """Whether a /fitb request is small enough to answer on the event loop."""
    if has_uploads(body.outfit, body.candidates or []):
        return False
    if body.candidates is not None:
        return True
    catalog = served.catalog
    if body.blank_type not in catalog.types:
        return True  # answered at once with a 422
    index = catalog.indices.get(catalog.types.index(body.blank_type))
    return index is None or index.ntotal <= INLINE_SCAN_ROWS


def _check_outfit(items: list[OutfitItem], settings: Settings, minimum: int) -> None:
    if len(items) < minimum:
        raise InvalidOutfit(f"outfit: give at least {minimum} item(s), got {len(items)}")
    if len(items) > settings.max_outfit_items:
        raise InvalidOutfit(
            f"outfit: at most {settings.max_outfit_items} items, got {len(items)}")


def _rows(catalog: CatalogIndex, items: list[OutfitItem], what: str) -> list[int | None]:
    """Catalog rows of the catalog items, None for uploads; unknown ids and repeats refused."""
    unknown = [i.item_id for i in items if i.item_id is not None
               and i.item_id not in catalog.row_of]
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        raise UnknownItem(f"{what}: no catalog item with id {shown}; use ids the catalog serves "
                          "(GET /items/{id} tells whether an id is known)")
    rows = [catalog.row_of[i.item_id] if i.item_id is not None else None for i in items]
    known = [r for r in rows if r is not None]
    if len(set(known)) != len(known):
        raise InvalidOutfit(f"{what}: an item appears more than once; list each item once")
    return rows


def _upload_bytes(item: OutfitItem, files: Mapping[str, bytes], settings: Settings,
                  what: str) -> bytes:
    if item.image_base64 is not None:
        return base64_bytes(item.image_base64, settings, what)
    if item.file not in files:  # the body parser matched parts to items; a direct call may not
        raise InvalidOutfit(f"{what}: no file part named {item.file!r}")
    return files[item.file]


def _embed_uploads(served: Served, uploads: list[tuple[str, OutfitItem]],
                   settings: Settings, files: Mapping[str, bytes]
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    catalog = served.catalog
    if len(uploads) > settings.max_uploads:
        raise InvalidOutfit(f"at most {settings.max_uploads} uploaded images per request, "
                            f"got {len(uploads)}")
    if served.model is None:
        raise UploadsUnavailable(
            "this bundle has no model/ folder, so uploaded images cannot be embedded; use "
            "catalog item ids, or serve a bundle built with its model")
    types = []
    for what, item in uploads:
        if item.type not in catalog.types:
            raise UnknownType(f"{what}: type {item.type!r} is not one of "
                              f"{', '.join(catalog.types)}")
        types.append(catalog.types.index(item.type))
    images = [decode_image(_upload_bytes(item, files, settings, what), settings, what)
              for what, item in uploads]
    return served.model.embed_images(images), torch.tensor(types, dtype=torch.long)


def _scope(served: Served, outfit: list[OutfitItem], candidates: list[OutfitItem],
           settings: Settings, extra_rows: list[int] | None = None,
           files: Mapping[str, bytes] = EMPTY) -> Scope:
    """`extra_rows`: catalog rows appended as candidates (a retrieval over uploads)."""
    catalog = served.catalog
    outfit_rows = _rows(catalog, outfit, "outfit")
    candidate_rows = _rows(catalog, candidates, "candidates")
    if set(outfit_rows) & set(candidate_rows) - {None}:
        raise InvalidOutfit("candidates: a candidate is already in the outfit")
    uploads = [(f"outfit[{i}]", item) for i, item in enumerate(outfit) if item.is_upload]
    uploads += [(f"candidates[{i}]", item) for i, item in enumerate(candidates)
                if item.is_upload]
    if not uploads:  # the common case: the catalog's own scorer, no copies
        return Scope(catalog.scorer, outfit_rows, candidate_rows + (extra_rows or []),
                     catalog_rows=None, upload_position={})
    upload_embeddings, upload_types = _embed_uploads(served, uploads, settings, files)
    involved = [r for r in outfit_rows + candidate_rows if r is not None] + (extra_rows or [])
    local_of = {row: i for i, row in enumerate(involved)}
    base = catalog.scorer
    index = torch.tensor(involved, dtype=torch.long)
    scorer = replace(base, embeddings=torch.cat([base.embeddings[index], upload_embeddings]),
                     item_types=torch.cat([base.item_types[index], upload_types]))
    # uploads follow the catalog rows, in request order: the outfit's first, then candidates'
    next_upload = iter(range(len(involved), len(involved) + len(uploads)))
    outfit_idx = [local_of[r] if r is not None else next(next_upload) for r in outfit_rows]
    candidate_idx, positions = [], {}
    for position, r in enumerate(candidate_rows):
        if r is None:
            local = next(next_upload)
            positions[local] = position
            candidate_idx.append(local)
        else:
            candidate_idx.append(local_of[r])
    candidate_idx += [local_of[r] for r in extra_rows or []]
    return Scope(scorer, outfit_idx, candidate_idx,
                 catalog_rows=involved + [None] * len(uploads), upload_position=positions)


def _catalog_row(scope: Scope, local: int) -> int | None:
    return local if scope.catalog_rows is None else scope.catalog_rows[local]


def _rank(scope: Scope, candidates: list[int]) -> tuple[list[SearchHit], float]:
    """Candidates by the scorer's FITB distance, stable: ties keep the request's order; and
    the sum of the outfit's own pair distances."""
    distances: list[float] = []
    internal = 0.0
    for i in range(0, len(candidates), RANK_CHUNK):
        row, internal = scope.scorer.fitb_question(scope.outfit, candidates[i:i + RANK_CHUNK])
        distances += row.tolist()
    order = sorted(range(len(candidates)), key=distances.__getitem__)
    return [SearchHit(candidates[i], distances[i]) for i in order], internal


# Responses are built with the validating constructors on purpose: pydantic-core validates in
# Rust, which measured 2-3x faster than model_construct's Python for these small models.
def _ranked(served: Served, scope: Scope, hits: list[SearchHit],
            internal: float | None = None) -> FitbResponse:
    """`internal`: the sum of the outfit's own pair distances, when already known."""
    catalog = served.catalog
    n = len(scope.outfit)
    if internal is None:
        internal = float(np.nansum(scope.scorer.pair_matrix(scope.outfit))) if n > 1 else 0.0
    completed_pairs = (n + 1) * n / 2
    probs = catalog.probability([(internal + h.distance) / completed_pairs for h in hits])
    ranking = []
    for hit, p in zip(hits, probs, strict=True):
        row = _catalog_row(scope, hit.index)
        if row is None:
            type_name = catalog.types[int(scope.scorer.item_types[hit.index])]
            ranking.append(RankedItem(
                item_id=None, upload=scope.upload_position[hit.index], type=type_name,
                score=float(p), distance=float(hit.distance)))
            continue
        item = catalog.items[row]
        ranking.append(RankedItem(
            item_id=item["item_id"], type=item["type"],
            category_id=_str_or_none(item.get("category_id")), title=item.get("title", ""),
            score=float(p), distance=float(hit.distance)))
    return FitbResponse(ranking=ranking)


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def fitb(served: Served, body: FitbRequest, settings: Settings,
         files: Mapping[str, bytes] = EMPTY) -> FitbResponse:
    """`files`: the photos of a multipart request by part name, for items with `file`."""
    catalog = served.catalog
    _check_outfit(body.outfit, settings, minimum=1)
    if body.candidates is not None:
        if not body.candidates:
            raise InvalidOutfit("candidates: give at least one, or omit it to search the catalog")
        if len(body.candidates) > settings.max_candidates:
            raise InvalidOutfit(f"candidates: at most {settings.max_candidates}, "
                                f"got {len(body.candidates)}")
        scope = _scope(served, body.outfit, body.candidates, settings, files=files)
        return _ranked(served, scope, *_rank(scope, scope.candidates))
    if body.blank_type is None:
        raise InvalidOutfit("give either candidates or blank_type (one of "
                            f"{', '.join(catalog.types)}) to search the catalog")
    if body.blank_type not in catalog.types:
        raise UnknownType(f"blank_type {body.blank_type!r} is not one of "
                          f"{', '.join(catalog.types)}")
    if body.k > settings.max_k:
        raise InvalidOutfit(f"k: at most {settings.max_k}, got {body.k}")
    for name in ("exclude", "restrict_to"):
        ids = getattr(body, name) or []
        if len(ids) > settings.max_id_list:
            raise InvalidOutfit(f"{name}: at most {settings.max_id_list} ids, got {len(ids)}")
    target = catalog.types.index(body.blank_type)
    excluded = {catalog.row_of[i] for i in body.exclude if i in catalog.row_of}
    restrict = (None if body.restrict_to is None else
                {catalog.row_of[i] for i in body.restrict_to if i in catalog.row_of})
    if not has_uploads(body.outfit):
        scope = _scope(served, body.outfit, [], settings)
        hits = catalog.search(scope.outfit, target, body.k, exclude=excluded | set(scope.outfit),
                              restrict_ids=restrict, category_id=body.category_id,
                              mmr_lambda=body.diversity)
        return _ranked(served, scope, hits)
    if body.diversity is not None:
        raise InvalidOutfit("diversity is not available for an outfit with uploaded images; "
                            "omit it, or use catalog items")
    rows = _retrievable_rows(catalog, target, excluded, restrict, body.category_id)
    # an unknown id is refused with its 404 by _scope below; here it only must not raise
    outfit_rows = {catalog.row_of[i.item_id] for i in body.outfit if i.item_id in catalog.row_of}
    rows = [r for r in rows if r not in outfit_rows]
    scope = _scope(served, body.outfit, [], settings, extra_rows=rows, files=files)
    hits, internal = _rank(scope, scope.candidates)
    return _ranked(served, scope, hits[:body.k], internal)


def _retrievable_rows(catalog: CatalogIndex, target: int, excluded: set[int],
                      restrict: set[int] | None, category_id: str | None) -> list[int]:
    """Catalog rows a search for `target` may return, for scoring them directly."""
    types = catalog.scorer.item_types.numpy()
    rows = np.flatnonzero(types == target)
    removed = np.asarray(getattr(catalog, "removed", ()), dtype=np.int64)
    keep = ~np.isin(rows, removed) & ~np.isin(rows, np.fromiter(excluded, dtype=np.int64))
    if restrict is not None:
        keep &= np.isin(rows, np.fromiter(restrict, dtype=np.int64))
    if category_id is not None:
        keep &= np.array([str(catalog.items[r].get("category_id")) == category_id
                          for r in rows], dtype=bool)
    return rows[keep].tolist()


def compatibility(served: Served, body: CompatibilityRequest, settings: Settings,
                  files: Mapping[str, bytes] = EMPTY) -> CompatibilityResponse:
    catalog = served.catalog
    _check_outfit(body.outfit, settings, minimum=2)
    scope = _scope(served, body.outfit, [], settings, files=files)
    # one pass gives every pair; their mean is compatibility_distances of the outfit
    pair_matrix = scope.scorer.pair_matrix(scope.outfit)
    matrix = pair_matrix.tolist()
    names = [catalog.types[t] for t in scope.scorer.types_of(scope.outfit)]
    ids = [item.item_id for item in body.outfit]
    n = len(ids)
    pairs = [PairDistance(items=(a, b), item_ids=(ids[a], ids[b]),
                          types=(names[a], names[b]), distance=matrix[a][b])
             for a in range(n) for b in range(a + 1, n)]
    weakest = max(pairs, key=lambda p: p.distance)
    distance = sum(p.distance for p in pairs) / len(pairs)
    return CompatibilityResponse(
        score=float(catalog.probability(distance)), distance=distance, pairs=pairs,
        weakest_pair=weakest)


def embed(served: Served, data: bytes, type_name: str, settings: Settings) -> EmbedResponse:
    catalog = served.catalog
    if type_name not in catalog.types:
        raise UnknownType(f"type {type_name!r} is not one of {', '.join(catalog.types)}")
    if served.model is None:
        raise UploadsUnavailable(
            "this bundle has no model/ folder, so uploaded images cannot be embedded; serve a "
            "bundle built with its model")
    if settings.max_uploads < 1:
        raise TooLarge("uploads are switched off on this service (LOOKBOOK_MAX_UPLOADS=0)")
    image = decode_image(data, settings, "file")
    general = served.model.embed_images([image])[0]
    scorer = catalog.scorer
    t = catalog.types.index(type_name)
    pairs = scorer.pair_table[t]
    z = project(general.expand(len(pairs), -1), pairs, scorer.masks, scorer.normalize)
    return EmbedResponse(type=type_name, model_hash=served.model.model_hash,
                         embedding=general.tolist(),
                         spaces={v: z[i].tolist() for i, v in enumerate(catalog.types)})
