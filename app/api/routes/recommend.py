"""POST /fitb and POST /compatibility."""

from __future__ import annotations

from fastapi import APIRouter

from app import service
from app.api.deps import CatalogDep, SettingsDep
from app.schemas import CompatibilityRequest, CompatibilityResponse, FitbRequest, FitbResponse

router = APIRouter(tags=["recommendations"])

_ERRORS = {
    404: {"description": "an item id is not in the catalog"},
    422: {"description": "the body is malformed or breaks a limit; the message says which"},
}


@router.post("/fitb", response_model=FitbResponse, responses=_ERRORS,
             summary="Rank items to fill the outfit's blank")
def fitb(body: FitbRequest, catalog: CatalogDep, settings: SettingsDep) -> FitbResponse:
    """Rank the given `candidates` for the outfit's blank, best first; or, without
    candidates, return the `k` best catalog items of `blank_type` for the whole outfit."""
    return service.fitb(catalog, body, settings)


@router.post("/compatibility", response_model=CompatibilityResponse, responses=_ERRORS,
             summary="How well an outfit goes together")
def compatibility(body: CompatibilityRequest, catalog: CatalogDep,
                  settings: SettingsDep) -> CompatibilityResponse:
    return service.compatibility(catalog, body, settings)
