"""The app factory: loads and checks the artifact bundle at start-up, then serves it."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.routes import health, recommend
from app.core.config import Settings, get_settings
from app.errors import install_error_handlers
from index.search import CatalogIndex


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # A bundle that fails its checks stops start-up with the reason, rather than serving.
        app.state.catalog = CatalogIndex.load(settings.artifacts)
        yield

    app = FastAPI(
        title="Lookbook",
        version="0.1.0",
        summary="Outfit compatibility and fill-in-the-blank recommendations (SAT model)",
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(app)
    app.include_router(recommend.router)
    app.include_router(health.router)
    return app
