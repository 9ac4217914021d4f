"""GET /items/{id}, GET /items/{id}/image, GET /types: the catalog as the service knows it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from app.api.deps import CatalogDep, SettingsDep
from app.errors import NotFound, UnknownItem
from app.schemas import EXAMPLE_TOP, Item, TypeInfo, Types

router = APIRouter(tags=["catalog"])


def _item(catalog, item_id: str) -> dict:
    row = catalog.row_of.get(item_id)
    if row is None:
        raise UnknownItem(f"no catalog item with id {item_id!r}")
    return catalog.items[row]


@router.get("/items/{item_id}", response_model=Item, summary="A catalog item's public fields",
            responses={404: {"description": "no such item"}})
def get_item(item_id: str, catalog: CatalogDep) -> Item:
    item = _item(catalog, item_id)
    category = item.get("category_id")
    return Item(item_id=item["item_id"], type=item["type"],
                category_id=None if category is None else str(category),
                title=item.get("title", ""), image_url=f"/items/{item['item_id']}/image")


get_item.__doc__ = f"For example `/items/{EXAMPLE_TOP}` on the demo catalog."


@router.get("/items/{item_id}/image", response_class=FileResponse,
            summary="A catalog item's image",
            responses={200: {"content": {"image/jpeg": {}}},
                       404: {"description": "no such item, or no images folder configured"}})
def get_item_image(item_id: str, catalog: CatalogDep, settings: SettingsDep) -> FileResponse:
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
    counts = Counter(item["type"] for item in catalog.items)
    return Types(types=[TypeInfo(name=t, n_items=counts.get(t, 0)) for t in catalog.types])
