"""Bodies of POST /fitb and /compatibility: JSON, or multipart/form-data carrying the same JSON
in a `request` field beside the photos as file parts, which outfit items name with `file`.

Parsed here rather than by FastAPI's body parameter, because one operation takes two media
types; both end in the same pydantic model and the same 413/422 answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.core.config import Settings
from app.errors import InvalidOutfit, TooLarge, UnsupportedMediaType
from app.schemas import EXAMPLE_PART, OutfitItem

REQUEST_FIELD = "request"
JSON_TYPES = ("application/json", "")  # a client that sends no content-type means JSON
# a form without files is url-encoded by browsers and HTTP libraries: the same fields
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, model: type[M], settings: Settings,
                    items_of: Callable[[M], list[OutfitItem]]) -> tuple[M, dict[str, bytes]]:
    """The validated body and the uploaded file parts by name (empty for JSON).

    `items_of(body)` lists the body's outfit items and candidates, to match them with the
    file parts."""
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media in FORM_TYPES:
        body, files = await _multipart(request, model, settings)
    elif media in JSON_TYPES or media.endswith("+json"):
        body, files = validate_json(model, await request.body()), {}
    else:
        raise UnsupportedMediaType(
            f"content-type {media!r} is not accepted: send application/json, or "
            f"multipart/form-data with the JSON in a {REQUEST_FIELD!r} field and the photos "
            "as file parts")
    _match_files(items_of(body), files, multipart=media in FORM_TYPES)
    return body, files


def validate_json(model: type[M], raw: bytes | str) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        # the app's RequestValidationError handler writes the one error body for these
        raise RequestValidationError(exc.errors(include_url=False)) from None


async def _multipart(request: Request, model: type[M],
                     settings: Settings) -> tuple[M, dict[str, bytes]]:
    try:
        # starlette stops parsing at these counts; the middleware already bounds the bytes
        form = await request.form(max_files=settings.max_uploads, max_fields=1,
                                  max_part_size=settings.max_body_bytes)
    except HTTPException as exc:
        if exc.status_code != 400:  # e.g. the middleware's 413 for a chunked body
            raise
        # starlette's parser: a malformed body, or more parts than allowed
        raise InvalidOutfit(
            f"multipart body: {exc.detail} (at most {settings.max_uploads} photo part(s) and "
            f"one {REQUEST_FIELD!r} field)") from None
    try:
        text = form.get(REQUEST_FIELD)
        if not isinstance(text, str):
            raise InvalidOutfit(
                f"multipart body: put the JSON request in a text field named {REQUEST_FIELD!r}; "
                f"items name their photo's file part, e.g. "
                f'{{"file": "{EXAMPLE_PART}", "type": "shoes"}}')
        body = validate_json(model, text)
        files: dict[str, bytes] = {}
        for name, value in form.multi_items():
            if not isinstance(value, UploadFile):
                continue
            if name in files:
                raise InvalidOutfit(f"multipart body: two file parts are named {name!r}; give "
                                    "each photo its own name")
            data = await value.read(settings.max_image_bytes + 1)
            if len(data) > settings.max_image_bytes:
                raise TooLarge(f"file part {name!r}: the image is larger than "
                               f"{settings.max_image_bytes} bytes")
            files[name] = data
        return body, files
    finally:
        await form.close()


def _match_files(items: list[OutfitItem], files: dict[str, bytes], multipart: bool) -> None:
    named = {item.file for item in items if item.file is not None}
    if named and not multipart:
        raise InvalidOutfit(
            f"an item names the file part {sorted(named)[0]!r}, but the request is JSON: send "
            "multipart/form-data with that part, or give the photo as image_base64")
    missing = sorted(named - files.keys())
    if missing:
        raise InvalidOutfit(f"no file part named {missing[0]!r} in the multipart body; the "
                            f"parts are: {', '.join(sorted(files)) or 'none'}")
    unused = sorted(files.keys() - named)
    if unused:
        raise InvalidOutfit(f"file part {unused[0]!r} is not named by any item's `file`; "
                            "name it, or leave it out")


OCTETS = "application/octet-stream"  # a file part, as FastAPI writes UploadFile in OpenAPI 3.1


def openapi_body(model: type[BaseModel], multipart_example: dict) -> dict:
    """The operation's request body in OpenAPI: the model as JSON, or as multipart."""
    import json

    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}},
        "multipart/form-data": {
            "schema": {
                "type": "object", "required": [REQUEST_FIELD],
                "properties": {
                    REQUEST_FIELD: {
                        "type": "string", "contentMediaType": "application/json",
                        "description": f"the {model.__name__} JSON; an uploaded item names its "
                                       "photo's file part with `file`",
                        "examples": [json.dumps(multipart_example)]},
                    EXAMPLE_PART: {"type": "string", "contentMediaType": OCTETS,
                                   "description": "a photo (JPEG, PNG or WebP); any part name "
                                                  "works, as long as an item names it"}},
                "additionalProperties": {"type": "string", "contentMediaType": OCTETS}},
            "encoding": {REQUEST_FIELD: {"contentType": "application/json"}}},
    }}}
