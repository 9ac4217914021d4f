"""Request and response bodies, with the descriptions analysts read in the OpenAPI docs.

The examples are real ids of the sample catalog (`lookbook sample --seed 0`, which
`lookbook demo` serves), so they can be pasted into the docs page as they are.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The demo catalog (seed 0): test outfit 880795564, a white houndstooth sweater, olive
# trousers, olive heels, a white pinstripe clutch and olive houndstooth earrings; the shoes
# after its heels are other pairs of the catalog, for a blank to choose from
EXAMPLE_TOP, EXAMPLE_BOTTOM = "348684706", "745959965"
EXAMPLE_SHOES = ["815851409", "632778349", "517984724", "851166731"]
EXAMPLE_BAG, EXAMPLE_JEWELLERY = "525730232", "979560242"
# the file part a multipart example names (the docs page offers a file picker for it)
EXAMPLE_PART = "photo"
# a 4x4 dark-red PNG: enough to show the shape of an upload
EXAMPLE_IMAGE = ("iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAFElEQVR42mPcoGDAAANMDEgANwcAM4Q"
                 "BCFyPO7QAAAAASUVORK5CYII=")


def _ids(*ids: str) -> list[dict]:
    return [{"item_id": i} for i in ids]


class OutfitItem(BaseModel):
    """A catalog item by id, or an uploaded photo with its semantic type."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"item_id": EXAMPLE_TOP}, {"image_base64": EXAMPLE_IMAGE, "type": "tops"}]})
    item_id: str | None = Field(
        None, min_length=1, max_length=64, examples=[EXAMPLE_TOP],
        description="a catalog item id, as in polyvore_item_metadata.json")
    image_base64: str | None = Field(
        None, min_length=1, description="an uploaded product photo (JPEG, PNG or WebP), base64; "
        "a data: URL is accepted too. Needs `type`, and a bundle with a model/ folder")
    file: str | None = Field(
        None, min_length=1, max_length=64, examples=[EXAMPLE_PART],
        description="multipart/form-data requests only: the name of the file part that holds "
        "this item's photo (JPEG, PNG or WebP). Needs `type`, and a bundle with a model/ folder")
    type: str | None = Field(None, max_length=64, examples=["tops"],
                             description="semantic category of the uploaded photo (GET /types)")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [self.item_id is not None, self.image_base64 is not None, self.file is not None]
        if sum(given) != 1:
            raise ValueError("give either item_id, or one upload (image_base64 or file) with "
                             "its type, not both")
        if self.item_id is None and self.type is None:
            raise ValueError("an uploaded image needs its type (GET /types lists them)")
        if self.item_id is not None and self.type is not None:
            raise ValueError("type is only for uploaded images; a catalog item has its own")
        return self

    @property
    def is_upload(self) -> bool:
        return self.item_id is None


class FitbRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outfit": _ids(EXAMPLE_TOP, EXAMPLE_BOTTOM), "candidates": _ids(*EXAMPLE_SHOES)},
        {"outfit": _ids(EXAMPLE_TOP, EXAMPLE_BOTTOM), "blank_type": "shoes", "k": 10},
        {"outfit": _ids(EXAMPLE_TOP, EXAMPLE_BOTTOM), "blank_type": "bags", "k": 5,
         "exclude": [EXAMPLE_BAG], "diversity": 0.7},
    ]})
    outfit: list[OutfitItem] = Field(
        description="the outfit with its blank left out (1 or more items)")
    candidates: list[OutfitItem] | None = Field(
        None, description="items to rank for the blank; omit to search the whole catalog")
    blank_type: str | None = Field(
        None, description="semantic category of the blank; required without candidates",
        examples=["shoes"])
    k: int = Field(10, ge=1, description="number of results when searching the catalog")
    exclude: list[str] = Field(
        default_factory=list, description="catalog ids never to return (e.g. already owned); "
        "unknown ids are ignored")
    restrict_to: list[str] | None = Field(
        None, description="search only among these catalog ids (e.g. in stock); unknown ids "
        "are ignored")
    category_id: str | None = Field(
        None, max_length=64, description="search only this fine category "
        "(polyvore category_id)", examples=["42"])
    diversity: float | None = Field(
        None, ge=0.0, le=1.0, description="maximal-marginal-relevance weight: 1 = plain "
        "ranking, lower trades score for variety among the results")


# The JSON of the multipart variants: an outfit with one photo, sent as the file part "photo"
FITB_MULTIPART_EXAMPLE = {"outfit": [{"item_id": EXAMPLE_TOP},
                                     {"file": EXAMPLE_PART, "type": "bottoms"}],
                          "blank_type": "shoes", "k": 5}
COMPATIBILITY_MULTIPART_EXAMPLE = {"outfit": [{"item_id": EXAMPLE_TOP},
                                              {"item_id": EXAMPLE_BOTTOM},
                                              {"file": EXAMPLE_PART, "type": "shoes"}]}


class RankedItem(BaseModel):
    item_id: str | None = Field(description="catalog id; null for an uploaded candidate")
    upload: int | None = Field(None, description="position of the uploaded candidate in "
                               "`candidates`; null for a catalog item")
    type: str = Field(description="semantic category")
    category_id: str | None = Field(None, description="fine category of a catalog item")
    title: str = Field("", description="the catalog's title")
    score: float = Field(description="probability, 0..1, that the outfit completed with this "
                                     "item goes together (calibrated on validation outfits)")
    distance: float = Field(description="sum of the outfit items' type-aware distances to this "
                                        "item; the ranking key, lower is better")


class FitbResponse(BaseModel):
    ranking: list[RankedItem] = Field(description="best first")


class CompatibilityRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outfit": _ids(EXAMPLE_TOP, EXAMPLE_BOTTOM, EXAMPLE_SHOES[0], EXAMPLE_BAG,
                        EXAMPLE_JEWELLERY)}]})
    outfit: list[OutfitItem] = Field(description="2 or more items (catalog ids or uploads)")


class PairDistance(BaseModel):
    items: tuple[int, int] = Field(description="positions of the two items in `outfit`")
    item_ids: tuple[str | None, str | None] = Field(description="their catalog ids (null for "
                                                    "an upload)")
    types: tuple[str, str] = Field(description="their semantic categories")
    distance: float = Field(description="type-aware distance in the two types' space")


class CompatibilityResponse(BaseModel):
    score: float = Field(description="calibrated probability, 0..1, that the outfit goes together")
    distance: float = Field(description="mean type-aware distance over all item pairs, the raw "
                            "quantity the probability is calibrated from")
    pairs: list[PairDistance] = Field(description="every pair's distance, in outfit order")
    weakest_pair: PairDistance = Field(description="the pair with the largest distance: the one "
                                       "that pulls the outfit's score down most")


class EmbedResponse(BaseModel):
    type: str = Field(description="the semantic category given with the image")
    model_hash: str = Field(description="the model that made these vectors; vectors of "
                            "different models are not comparable")
    embedding: list[float] = Field(description="the general embedding f(x), as stored in the "
                                   "bundle's embeddings.npy")
    spaces: dict[str, list[float]] = Field(
        description="per other type v: the item's projection into the (type, v) space, where "
        "type-aware distances are measured (L2-normalised when the model normalises spaces)")


class Item(BaseModel):
    item_id: str
    type: str = Field(description="semantic category")
    category_id: str | None = Field(None, description="fine category (polyvore category_id)")
    title: str = ""
    url_name: str = Field("", description="the product's name as a URL slug (polyvore "
                          "url_name), often present where the title is empty; empty when the "
                          "catalog has none", examples=["white-houndstooth-sweater"])
    image_url: str = Field(description="path of the item's image on this service")
    in_stock: bool = Field(True, description="false for an item removed from stock (`lookbook "
                           "remove-items`): it is never recommended, but an outfit holding it "
                           "is still scored")


class ItemPage(BaseModel):
    items: list[Item] = Field(description="catalog order; items removed from stock are left out")
    total: int = Field(description="items of this type (or all types) the service serves, "
                                   "removed ones left out")
    offset: int
    limit: int


class TypeInfo(BaseModel):
    name: str
    n_items: int = Field(description="catalog items of this type the service serves (items "
                         "removed from stock left out): the total of GET /items?type=name")


class Types(BaseModel):
    types: list[TypeInfo]


class Health(BaseModel):
    status: str
    model_hash: str
    n_items: int = Field(description="rows of the bundle, items removed from stock "
                         "included (GET /types counts the served ones)")
    types: list[str]


class Ready(BaseModel):
    status: str = Field(description="`ready`")
    artifacts: str
    model_hash: str = Field(description="hash of the model that embedded the catalog")
    bundle_created: str
    bundle_updated: str | None
    bundle_format: int
    n_items: int = Field(description="rows of the bundle, items removed from stock "
                         "included (GET /types counts the served ones)")
    uploads: bool = Field(description="whether uploaded images can be embedded (model/ loaded)")
    backbone: str | None
    loaded_at: str
    generation: int = Field(description="1 at start-up, +1 per successful reload (counted "
                            "across the worker processes)")
    pid: int = Field(description="the worker process that answered")


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    artifacts: str | None = Field(None, description="bundle folder to load; default: the "
                                  "configured one (after rebuilding it in place)")


class ReloadResponse(BaseModel):
    previous: Ready
    current: Ready
