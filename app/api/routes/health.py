"""GET /healthz (alive), GET /readyz (bundle and model loaded, with versions), GET /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.api.deps import ServedDep
from app.core.metrics import CONTENT_TYPE
from app.schemas import Health, Ready

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Alive, and which bundle is served")
def healthz(served: ServedDep) -> Health:
    catalog = served.catalog
    return Health(status="ok", model_hash=catalog.manifest.model_hash,
                  n_items=catalog.manifest.n_items, types=list(catalog.types))


@router.get("/readyz", response_model=Ready, summary="Ready to serve, with the versions loaded",
            responses={503: {"description": "no bundle loaded yet"}})
async def readyz(served: ServedDep) -> Ready:
    return Ready(status="ready", **served.versions())


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {}}}})
async def metrics(request: Request) -> Response:
    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE)
