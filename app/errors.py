"""Domain errors and their one mapping to HTTP: a stable JSON body, never a stack trace."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class LookbookError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UnknownItem(LookbookError):
    status = 404
    code = "unknown_item"


class InvalidOutfit(LookbookError):
    status = 422
    code = "invalid_outfit"


class UnknownType(LookbookError):
    status = 422
    code = "unknown_type"


class NotReady(LookbookError):
    status = 503
    code = "not_ready"


def _body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts[:5]) or "the request body is not valid"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LookbookError)
    async def _domain(_: Request, exc: LookbookError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_body("invalid_request", _describe(exc)), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body("internal", "internal error; see the server log"), 500)
