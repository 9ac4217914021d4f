"""Serves the demo page: `/` answers static/index.html, `/web/...` its script and stylesheet.

No build step and no third-party asset: the page must work on a machine without network and
stay readable as plain files.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS_PATH = "/web"

# Only this origin's script, style, images and API; uploaded photos are previewed from blob:
# URLs. Item titles come from the catalog, so the page never turns them into markup either.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
# revalidate on each visit, so a redeployed page never runs an older script
_HEADERS = {"Content-Security-Policy": _CSP, "Cache-Control": "no-cache"}


def install_web(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=_HEADERS)

    app.mount(ASSETS_PATH, StaticFiles(directory=STATIC), name="web")
