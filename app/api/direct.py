"""Plain Starlette routes in front of the hottest operations.

/fitb and /compatibility parse their own bodies (app/api/bodies.py), read the bundle from the
app state and return a ready Response: FastAPI's request handling (dependency solving, exit
stacks, response validation) does nothing for them, yet it cost a fifth of a request's CPU
time (docs/benchmarks.md, issue 5). So each is answered by a Starlette route with the same
path, methods and endpoint, placed first; the FastAPI route stays registered behind it, where
it still describes the operation in the OpenAPI docs but is never reached.
"""

from __future__ import annotations

import inspect

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.routing import Match, Route
from starlette.types import Scope


class DirectRoute(Route):
    """A Starlette route that names itself in the scope, as FastAPI's routes do: the request
    middleware labels metrics and logs with the matched route's path."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def serve_directly(app: FastAPI, router: APIRouter) -> None:
    """Answer every route of `router` by a Starlette route in front of it (see above)."""
    direct = []
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        _check_plain(route)
        direct.append(DirectRoute(route.path, route.endpoint, methods=sorted(route.methods),
                            name=route.name, include_in_schema=False))
    app.router.routes[:0] = direct


def _check_plain(route: APIRoute) -> None:
    """Only an endpoint FastAPI adds nothing to may skip it: one Request parameter, no
    dependencies; anything else would silently lose its injection."""
    params = list(inspect.signature(route.endpoint).parameters.values())
    if (len(params) != 1 or params[0].annotation not in (Request, "Request")
            or route.dependencies):
        raise TypeError(f"{route.path}: a directly served endpoint takes only the Request; "
                        f"{route.endpoint.__name__} has {[p.name for p in params]}")
