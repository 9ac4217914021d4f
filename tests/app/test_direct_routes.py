"""/fitb and /compatibility are answered by plain Starlette routes (app/api/direct.py) while
their FastAPI routes keep documenting them."""

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from app.api.direct import DirectRoute, serve_directly


def test_the_hot_operations_are_served_directly_and_still_documented(upload_client):
    app = upload_client.app
    direct = [r for r in app.router.routes if isinstance(r, DirectRoute)]
    assert sorted(r.path for r in direct) == ["/compatibility", "/fitb"]
    assert app.router.routes[:2] == direct  # first, so they answer
    spec = upload_client.get("/openapi.json").json()
    for path in ("/fitb", "/compatibility"):
        operation = spec["paths"][path]["post"]
        assert set(operation["requestBody"]["content"]) == {"application/json",
                                                             "multipart/form-data"}
        assert operation["responses"]["200"]["content"]["application/json"]["schema"]


def test_a_directly_served_route_is_labelled_in_metrics():
    router = APIRouter()

    @router.post("/echo")
    async def echo(request: Request):
        return PlainTextResponse(request.scope["route"].path)

    app = FastAPI()
    app.include_router(router)
    serve_directly(app, router)
    with TestClient(app) as client:
        assert client.post("/echo").text == "/echo"
        assert client.get("/echo").status_code == 405


def test_an_endpoint_that_needs_fastapi_is_refused():
    router = APIRouter()

    @router.post("/needs-deps")
    async def needs(request: Request, n: int = Depends(lambda: 1)):
        return n

    with pytest.raises(TypeError, match="takes only the Request"):
        serve_directly(FastAPI(), router)
