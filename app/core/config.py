"""Service settings, from environment variables (prefix LOOKBOOK_) or the CLI: the one place
every knob of the service is declared, with its default and what it bounds."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOOKBOOK_", frozen=True)

    artifacts: Path = Field(Path("artifacts"), description="artifact bundle folder to serve; "
                            "its model/ subfolder (if any) enables uploaded images")
    images_dir: Path | None = Field(None, description="folder of the catalog's images "
                                    "(<item_id>.jpg) for GET /items/{id}/image; unset: 404")
    host: str = Field("127.0.0.1", description="address to bind")
    port: int = Field(8000, ge=0, le=65535, description="port to bind")
    workers: int = Field(1, ge=1, le=64, description="server processes (uvicorn workers)")
    threads: int = Field(8, ge=1, le=256, description="threads per process for blocking work "
                         "(scoring, image decoding, the CNN); torch itself uses one each")
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="origins allowed by CORS, comma-separated; empty: "
        "no CORS headers")
    admin_token: SecretStr | None = Field(None, description="bearer token of POST "
                                          "/admin/reload; unset: the admin route does not exist")
    reload_dir: Path | None = Field(None, description="folder the worker processes share so "
                                    "that an admin reload reaches all of them; `lookbook serve` "
                                    "makes one for several workers")
    reload_poll_seconds: float = Field(1.0, gt=0, le=60, description="how often each worker "
                                       "looks for a reload made by another worker")
    max_outfit_items: int = Field(19, ge=2, description="most items in one outfit")
    max_candidates: int = Field(100, ge=1, description="most candidates in one /fitb request")
    max_k: int = Field(100, ge=1, description="most results of a catalog retrieval")
    max_id_list: int = Field(1000, ge=1, description="most ids in exclude / restrict_to")
    max_uploads: int = Field(4, ge=0, description="most uploaded images in one request")
    max_body_bytes: int = Field(8 << 20, ge=1024, description="largest request body (bytes)")
    max_image_bytes: int = Field(5 << 20, ge=1024, description="largest uploaded image file "
                                 "(bytes, after base64 decoding)")
    max_image_pixels: int = Field(25_000_000, ge=1, description="most pixels (width x height) "
                                  "of an uploaded image; larger ones are refused before decoding")
    max_aspect_ratio: float = Field(20.0, ge=1, description="most a side of an uploaded image "
                                    "may exceed the other (20: 20 to 1); a thinner strip is no "
                                    "product photo, and letterboxing leaves it a line of pixels")
    log_level: str = Field("info", description="log level of the JSON logs")
    access_log: bool = Field(True, description="one JSON log line per request")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
