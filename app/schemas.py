"""Request and response bodies, with the descriptions analysts read in the OpenAPI docs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ItemRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(description="a catalog item id, as in polyvore_item_metadata.json",
                         min_length=1, max_length=64, examples=["100000001"])


class FitbRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outfit: list[ItemRef] = Field(
        description="the outfit with its blank left out (1 or more items)")
    candidates: list[ItemRef] | None = Field(
        None, description="items to rank for the blank; omit to search the whole catalog")
    blank_type: str | None = Field(
        None, description="semantic category of the blank; required without candidates",
        examples=["shoes"])
    k: int = Field(10, ge=1, description="number of results when searching the catalog")


class RankedItem(BaseModel):
    item_id: str
    type: str = Field(description="semantic category")
    title: str
    score: float = Field(description="probability, 0..1, that the outfit completed with this "
                                     "item goes together (calibrated on validation outfits)")
    distance: float = Field(description="sum of the outfit items' type-aware distances to this "
                                        "item; the ranking key, lower is better")


class FitbResponse(BaseModel):
    ranking: list[RankedItem] = Field(description="best first")


class CompatibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outfit: list[ItemRef] = Field(description="2 or more catalog items")


class CompatibilityResponse(BaseModel):
    score: float = Field(description="calibrated probability, 0..1, that the outfit goes together")
    distance: float = Field(description="mean type-aware distance over all item pairs")


class Health(BaseModel):
    status: str
    model_hash: str
    n_items: int
    types: list[str]
