"""Dependency aliases: the loaded catalog and the settings, overridable in tests."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.config import Settings, get_settings
from app.errors import NotReady
from index.search import CatalogIndex


def get_catalog(request: Request) -> CatalogIndex:
    catalog = getattr(request.app.state, "catalog", None)
    if catalog is None:
        raise NotReady("no artifact bundle is loaded yet; retry shortly")
    return catalog


CatalogDep = Annotated[CatalogIndex, Depends(get_catalog)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
