"""Dependency aliases: the served bundle, its catalog, the settings, the admin check; all
overridable in tests."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from app.core.config import Settings, get_settings
from app.errors import NotReady, Unauthorized
from app.state import Served
from index.search import CatalogIndex


def served_bundle(request: Request) -> Served:
    """The bundle in service; read once per request: a reload swaps the whole object."""
    served = getattr(request.app.state, "served", None)
    if served is None:
        raise NotReady("no artifact bundle is loaded yet; retry shortly")
    return served


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (create_app stores them)."""
    return getattr(request.app.state, "settings", None) or get_settings()


# `async def` on purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
# hop per request that costs more than reading an attribute.
async def get_served(request: Request) -> Served:
    return served_bundle(request)


async def get_catalog(served: Annotated[Served, Depends(get_served)]) -> CatalogIndex:
    return served.catalog


ServedDep = Annotated[Served, Depends(get_served)]
CatalogDep = Annotated[CatalogIndex, Depends(get_catalog)]
async def get_app_settings(request: Request) -> Settings:
    return app_settings(request)


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def require_admin(settings: SettingsDep,
                  authorization: Annotated[str | None, Header()] = None) -> None:
    expected = settings.admin_token.get_secret_value() if settings.admin_token else ""
    scheme, _, token = (authorization or "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), expected.encode()):
        raise Unauthorized("send the admin token as 'Authorization: Bearer <token>' "
                           "(LOOKBOOK_ADMIN_TOKEN)")
