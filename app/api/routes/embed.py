"""POST /embed: type-aware embeddings of an uploaded photo, for clients with their own store."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from app import service
from app.api.deps import ServedDep, SettingsDep
from app.errors import TooLarge
from app.schemas import EmbedResponse

router = APIRouter(tags=["recommendations"])


@router.post("/embed", response_model=EmbedResponse, summary="Embed an uploaded product photo",
             responses={413: {"description": "the image is too large (bytes or pixels)"},
                        422: {"description": "not an image, or an unknown type"},
                        503: {"description": "the bundle has no model to embed with"}})
def embed(served: ServedDep, settings: SettingsDep,
          file: Annotated[UploadFile, File(description="a JPEG, PNG or WebP product photo")],
          type: Annotated[str, Form(max_length=64, description="its semantic category "
                                    "(GET /types)", examples=["shoes"])]) -> EmbedResponse:
    """The photo's general embedding f(x) and its projection into every (type, v) space,
    computed exactly as the catalog's were (same preprocessing, colour histogram and head)."""
    data = file.file.read(settings.max_image_bytes + 1)
    if len(data) > settings.max_image_bytes:
        raise TooLarge(f"file: the image is larger than {settings.max_image_bytes} bytes")
    return service.embed(served, data, type, settings)
