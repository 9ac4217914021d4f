"""GET /items, GET /items/{id}, GET /items/{id}/image, GET /types: the catalog as the service
knows it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from app.api.deps import CatalogDep, SettingsDep
from app.errors import NotFound, UnknownItem, UnknownType
from app.schemas import EXAMPLE_TOP, Item, ItemPage, TypeInfo, Types

router = APIRouter(tags=["catalog"])
# the path parameter of the item routes, with an id of the demo catalog to try them with
ItemId = Annotated[str, PathParam(description="a catalog item id", examples=[EXAMPLE_TOP])]


def _item(catalog, item_id: str) -> dict:
    row = catalog.row_of.get(item_id)
    if row is None:
        raise UnknownItem(f"no catalog item with id {item_id!r}")
    return catalog.items[row]


def _public(item: dict, in_stock: bool = True) -> Item:
    category = item.get("category_id")
    # bundles of format version 2 have no url_name in items.json
    return Item(item_id=item["item_id"], type=item["type"],
                category_id=None if category is None else str(category),
                title=item.get("title", ""), url_name=item.get("url_name") or "",
                image_url=f"/items/{item['item_id']}/image", in_stock=in_stock)


@router.get("/items", response_model=ItemPage, summary="Browse the catalog, a page at a time",
            responses={422: {"description": "unknown type, or a limit out of range"}})
async def list_items(
    catalog: CatalogDep,
    type_: Annotated[str | None, Query(alias="type", examples=["shoes"],
                                       description="only this semantic type (GET /types)")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="items per page")] = 24,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> ItemPage:
    """Live catalog items in catalog order, for pickers such as the demo page's."""
    # vectorised over the catalog's rows, no Python loop over items: cheap enough for the
    # event loop, like the other catalog-only requests. Removed items are not offered.
    if type_ is not None and type_ not in catalog.types:
        raise UnknownType(f"type {type_!r} is not one of {', '.join(catalog.types)}")
    rows = catalog.live_rows(None if type_ is None else catalog.types.index(type_))
    page = rows[offset:offset + limit]
    return ItemPage(items=[_public(catalog.items[int(r)]) for r in page], total=len(rows),
                    offset=offset, limit=limit)


@router.get("/items/{item_id}", response_model=Item, summary="A catalog item's public fields",
            responses={404: {"description": "no such item"}})
def get_item(item_id: ItemId, catalog: CatalogDep) -> Item:
    # a removed item still answers, marked: outfits that hold it are still scored
    row = catalog.row_of.get(item_id)
    return _public(_item(catalog, item_id), in_stock=row is not None and catalog.is_live(row))


get_item.__doc__ = f"For example `/items/{EXAMPLE_TOP}` on the demo catalog."


@router.get("/items/{item_id}/image", response_class=FileResponse,
            summary="A catalog item's image",
            responses={200: {"content": {"image/jpeg": {}}},
                       404: {"description": "no such item, or no images folder configured"}})
def get_item_image(item_id: ItemId, catalog: CatalogDep,
                   settings: SettingsDep) -> FileResponse:
    item = _item(catalog, item_id)
    if settings.images_dir is None:
        raise NotFound("this service has no images folder; set LOOKBOOK_IMAGES_DIR to the "
                       "dataset's images/ folder")
    folder = Path(settings.images_dir).resolve()
    path = (folder / f"{item['item_id']}.jpg").resolve()
    # ids come from the bundle, but a hostile or odd id must still not leave the folder
    if not path.is_relative_to(folder) or not path.is_file():
        raise NotFound(f"no image for item {item_id!r} in the images folder")
    return FileResponse(path, media_type="image/jpeg")


@router.get("/types", response_model=Types, summary="The semantic types and their item counts")
def get_types(catalog: CatalogDep) -> Types:
    """Each type with the number of its items this service serves: the `total` of
    `GET /items?type=...`; items removed from stock are not counted."""
    return Types(types=[TypeInfo(name=t, n_items=n)
                        for t, n in zip(catalog.types, catalog.live_counts(), strict=True)])
