"""POST /fitb and POST /compatibility.

Requests with uploaded photos decode images and run the CNN: those go to the thread pool, so
the event loop never blocks on them. Requests over catalog items are a fraction of a
millisecond of vector arithmetic (large retrievals excepted): they run on the event loop,
because a thread hop costs more than the work and many threads convoy on the GIL
(docs/benchmarks.md, issue 5). For the same reason these two routes read the bundle and the
settings from the app state directly rather than through dependencies, whose resolution was a
tenth of a request's time."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app import service
from app.api.bodies import openapi_body, read_body
from app.api.deps import app_settings, served_bundle
from app.schemas import (
    COMPATIBILITY_MULTIPART_EXAMPLE,
    FITB_MULTIPART_EXAMPLE,
    CompatibilityRequest,
    CompatibilityResponse,
    FitbRequest,
    FitbResponse,
)

router = APIRouter(tags=["recommendations"])

_ERRORS = {
    404: {"description": "an item id is not in the catalog"},
    413: {"description": "an uploaded image or the body is too large; the message says the "
                         "limit"},
    415: {"description": "neither application/json nor multipart/form-data"},
    422: {"description": "the body is malformed or breaks a limit; the message says which"},
    503: {"description": "uploaded images sent to a bundle without a model"},
}


@router.post("/fitb", response_model=FitbResponse, responses=_ERRORS,
             summary="Rank items to fill the outfit's blank",
             openapi_extra=openapi_body(FitbRequest, FITB_MULTIPART_EXAMPLE))
async def fitb(request: Request) -> Response:
    """Rank the given `candidates` for the outfit's blank, best first; or, without
    candidates, return the `k` best catalog items of `blank_type` for the whole outfit
    (optionally excluding ids, restricted to ids or a fine category, or diversified).
    Outfit items and candidates are catalog ids or uploaded photos with their type: base64
    in the JSON, or (multipart/form-data) file parts named by the items' `file`."""
    served, settings = served_bundle(request), app_settings(request)
    body, files = await read_body(request, FitbRequest, settings,
                                  lambda b: [*b.outfit, *(b.candidates or [])])
    if service.fitb_runs_inline(served, body):
        return _json(service.fitb(served, body, settings))
    return _json(await run_in_threadpool(service.fitb, served, body, settings, files))


@router.post("/compatibility", response_model=CompatibilityResponse, responses=_ERRORS,
             summary="How well an outfit goes together, and which pair is weakest",
             openapi_extra=openapi_body(CompatibilityRequest, COMPATIBILITY_MULTIPART_EXAMPLE))
async def compatibility(request: Request) -> Response:
    """The calibrated probability that the outfit goes together, its mean type-aware
    distance, every pair's distance and the weakest pair. Uploaded photos as for /fitb."""
    served, settings = served_bundle(request), app_settings(request)
    body, files = await read_body(request, CompatibilityRequest, settings, lambda b: b.outfit)
    if service.has_uploads(body.outfit):
        return _json(await run_in_threadpool(service.compatibility, served, body, settings,
                                             files))
    return _json(service.compatibility(served, body, settings))


def _json(model: BaseModel) -> Response:
    # The service builds these models itself, so FastAPI's re-validation of a returned model
    # against response_model (still declared, for the docs) only cost time on the hot path.
    return Response(model.model_dump_json(), media_type="application/json")
