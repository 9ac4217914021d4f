"""GET /healthz."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import CatalogDep
from app.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Alive, and which bundle is served")
def healthz(catalog: CatalogDep) -> Health:
    return Health(status="ok", model_hash=catalog.manifest.model_hash,
                  n_items=catalog.manifest.n_items, types=list(catalog.types))
