"""The app factory: loads and checks the artifact bundle at start-up, then serves it."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api.direct import serve_directly
from app.api.openapi import install_request_schemas
from app.api.routes import admin, catalog, embed, health, recommend
from app.core import heap
from app.core.config import Settings, get_settings
from app.core.metrics import Metrics
from app.core.middleware import RequestMiddleware
from app.core.reload_sync import follow, load_at_start
from app.errors import COMMON_RESPONSES, install_error_handlers
from app.web.page import install_web


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # the pool that runs the `def` routes: bounds concurrent CNN passes and scoring
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        # A bundle that fails its checks stops start-up with the reason, rather than serving.
        # With a reload folder, a worker starting after a reload joins its siblings' bundle.
        served = await anyio.to_thread.run_sync(load_at_start, settings.reload_dir,
                                                settings.artifacts)
        app.state.served = served
        metrics.set_bundle(served.catalog.manifest.model_hash, served.generation)
        heap.settle()
        follower = None
        if settings.reload_dir is not None:
            follower = asyncio.create_task(
                follow(app, settings.reload_dir, settings.reload_poll_seconds))
        yield
        if follower is not None:
            follower.cancel()

    app = FastAPI(
        title="Lookbook",
        version="0.2.0",
        summary="Outfit compatibility and fill-in-the-blank recommendations (SAT model)",
        lifespan=lifespan,
        responses=COMMON_RESPONSES,
    )
    app.state.metrics = metrics
    app.state.reload_lock = asyncio.Lock()
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(recommend.router)
    serve_directly(app, recommend.router)  # the hot path: see app/api/direct.py
    app.include_router(embed.router)
    app.include_router(catalog.router)
    app.include_router(health.router)
    install_web(app)  # the demo page at /, over the routes above
    install_request_schemas(app)  # /fitb and /compatibility parse their bodies themselves
    if settings.admin_token is not None and settings.admin_token.get_secret_value():
        app.include_router(admin.router)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["*"],
                           expose_headers=["x-request-id"])
    # added last, so it wraps CORS too: every request gets an id, a metric and a log line
    app.add_middleware(RequestMiddleware, metrics=metrics,
                       max_body_bytes=settings.max_body_bytes, access_log=settings.access_log)
    return app


def create_app_from_env() -> FastAPI:
    """The factory `lookbook serve` hands uvicorn; each worker process calls it."""
    import faiss
    import torch
    from PIL import Image

    from app.core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)  # a spawned worker does not inherit it
    # Requests are tiny tensor ops, or one image through the CNN: intra-op threads only add
    # contention between the pool's threads and the other workers.
    torch.set_num_threads(1)
    # faiss brings its own OpenMP runtime: two spinning pools on 2 cores doubled flat-search
    # latency in the index benchmark; one query runs on one thread anyway.
    faiss.omp_set_num_threads(1)
    # PIL's own guard (it raises at twice this), behind the explicit check in app/uploads.py
    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    return create_app(settings)
