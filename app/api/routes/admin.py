"""POST /admin/reload: swap in a new bundle without downtime. Mounted only when an admin
token is configured."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from starlette.concurrency import run_in_threadpool

from app.api.deps import ServedDep, SettingsDep, require_admin
from app.core import heap
from app.core.reload_sync import load_and_announce
from app.errors import ReloadRefused
from app.schemas import Ready, ReloadRequest, ReloadResponse
from app.state import load_served

router = APIRouter(tags=["operations"], dependencies=[Depends(require_admin)])
log = logging.getLogger("lookbook.admin")


@router.post("/admin/reload", response_model=ReloadResponse,
             summary="Load a bundle, check it fully, then swap it in",
             responses={401: {"description": "missing or wrong token"},
                        409: {"description": "the bundle failed its checks; the old one "
                                             "keeps serving"}})
async def reload(request: Request, served: ServedDep, settings: SettingsDep,
                 body: Annotated[ReloadRequest | None, Body()] = None) -> ReloadResponse:
    """Loads the bundle (and its model/), verifies every file against the manifest, checks the
    model against the bundle and answers a test query; only then replaces the served bundle
    in one step. In-flight requests finish on the bundle they started with. With several
    workers, the others load the same bundle within LOOKBOOK_RELOAD_POLL_SECONDS (their
    `GET /readyz` shows the new generation)."""
    state = request.app.state
    metrics = state.metrics
    target = Path(body.artifacts) if body and body.artifacts else settings.artifacts
    lock: asyncio.Lock = state.reload_lock
    async with lock:
        previous = state.served
        try:
            if settings.reload_dir is None:  # one worker: nobody to tell
                fresh = await run_in_threadpool(load_served, target, previous=previous)
            else:
                fresh = await run_in_threadpool(load_and_announce, settings.reload_dir, target,
                                                previous)
        except Exception as exc:  # any failure: refuse it, keep serving the old bundle
            metrics.reloads.labels("refused").inc()
            log.warning("reload of %s refused: %s", target, exc)
            raise ReloadRefused(f"{target} was not loaded, the bundle in service is unchanged "
                                f"({previous.catalog.manifest.model_hash}): {exc}") from None
        state.served = fresh
        metrics.reloads.labels("ok").inc()
        metrics.set_bundle(fresh.catalog.manifest.model_hash, fresh.generation)
        heap.settle()
    log.info("reloaded %s: model %s, generation %d", target, fresh.catalog.manifest.model_hash,
             fresh.generation)
    return ReloadResponse(previous=Ready(status="ready", **previous.versions()),
                          current=Ready(status="ready", **fresh.versions()))
