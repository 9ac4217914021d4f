"""Service settings, from environment variables (prefix LOOKBOOK_) or the CLI."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOOKBOOK_", frozen=True)

    artifacts: Path = Field(Path("artifacts"), description="artifact bundle folder to serve")
    host: str = "127.0.0.1"
    port: int = 8000
    max_outfit_items: int = Field(19, description="most items in one outfit")
    max_candidates: int = Field(100, description="most candidates in one /fitb request")
    max_k: int = Field(100, description="most results of a catalog retrieval")


@lru_cache
def get_settings() -> Settings:
    return Settings()
