"""Domain errors and their one mapping to HTTP: a stable JSON body, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("lookbook.errors")


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


class UploadsUnavailable(LookbookError):
    """The bundle has no model folder, so images cannot be embedded."""

    status = 503
    code = "uploads_unavailable"


class TooLarge(LookbookError):
    status = 413
    code = "too_large"


class InvalidImage(LookbookError):
    status = 422
    code = "invalid_image"


class UnsupportedMediaType(LookbookError):
    status = 415
    code = "unsupported_media_type"


class NotFound(LookbookError):
    status = 404
    code = "not_found"


class Unauthorized(LookbookError):
    status = 401
    code = "unauthorized"


class ReloadRefused(LookbookError):
    """A bundle that failed its checks; the one already loaded keeps serving."""

    status = 409
    code = "reload_refused"


# Starlette's own answers (unknown route, wrong method, unparsable body) in the same body shape
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type"}


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. unknown_item")
    message: str = Field(description="what is wrong and what to do about it")


class ErrorBody(BaseModel):
    """The one body of every 4xx/5xx answer."""

    error: ErrorDetail


# Documented on every operation: any route can meet a body that is not JSON (400) or breaks a
# validation rule (422), and the schema must say so, with the body it gets (not FastAPI's
# default `detail` list, which this service never sends).
COMMON_RESPONSES: dict[int | str, dict] = {
    400: {"model": ErrorBody, "description": "the body cannot be parsed (not JSON, not UTF-8)"},
    422: {"model": ErrorBody, "description": "the request is malformed or breaks a limit; the "
                                             "message says which"},
}


def _body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts[:5]) or "the request body is not valid"


def error_response(exc: LookbookError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(_body(exc.code, exc.message), status_code=exc.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LookbookError)
    async def _domain(request: Request, exc: LookbookError) -> JSONResponse:
        request.state.error_code = exc.code  # for the error counter of /metrics
        return error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        request.state.error_code = code
        return JSONResponse(_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        request.state.error_code = "invalid_request"
        return JSONResponse(_body("invalid_request", _describe(exc)), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(_body("internal", "internal error; see the server log"), 500)
