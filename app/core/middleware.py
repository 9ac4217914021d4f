"""The request middleware (plain ASGI, so it adds microseconds, not a task per request):
request id, body-size limit, metrics and the JSON access log, for every request."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logging import request_id
from app.core.metrics import Metrics

log = logging.getLogger("lookbook.access")
# a caller's id is echoed into logs and headers: only a short, plain token is taken as is
_CLEAN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
REQUEST_ID_HEADER = b"x-request-id"


class RequestMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, max_body_bytes: int,
                 access_log: bool = True) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        given = headers.get(REQUEST_ID_HEADER, b"").decode("latin-1")
        rid = given if _CLEAN_ID.match(given) else secrets.token_hex(16)
        token = request_id.set(rid)
        status = 500
        limit = self.max_body_bytes

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (REQUEST_ID_HEADER, rid.encode())]
            await send(message)

        received = 0

        async def counting_receive() -> Message:
            # a body without Content-Length (chunked) is cut off at the limit as it arrives
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        try:
            length = headers.get(b"content-length")
            if length is not None and not length.isdigit():
                await _send_error(send_with_id, 400, "bad_request", (
                    f"the Content-Length header must be a whole number of bytes, got "
                    f"{length[:32].decode('latin-1')!r}"))
            elif length is not None and int(length) > limit:
                await _send_error(send_with_id, 413, "too_large", _too_large(limit))
            else:
                await self.app(scope, counting_receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(endpoint, scope["method"], str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(elapsed)
            if status >= 400:
                code = scope.get("state", {}).get("error_code") or str(status)
                self.metrics.errors.labels(endpoint, code).inc()
            if self.access_log:
                log.info("request", extra={"fields": {
                    "method": scope["method"], "path": scope["path"], "endpoint": endpoint,
                    "status": status, "ms": round(elapsed * 1000, 2)}})
            request_id.reset(token)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes (LOOKBOOK_MAX_BODY_BYTES)"


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
