"""GET /items: the paginated catalog listing the demo page picks items from."""

import json
import shutil
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from index.mutate import remove_items


@pytest.fixture(scope="module")
def items(pipeline):
    return json.loads((pipeline.bundle / "items.json").read_text())


def _all_pages(client, limit, **query):
    pages, offset = [], 0
    while True:
        page = client.get("/items", params={"limit": limit, "offset": offset, **query}).json()
        pages.append(page)
        if offset + limit >= page["total"]:
            return pages
        offset += limit


def test_pages_cover_the_catalog_in_order_once(client, items):
    pages = _all_pages(client, limit=100)
    listed = [item["item_id"] for page in pages for item in page["items"]]
    assert listed == [item["item_id"] for item in items]
    assert {page["total"] for page in pages} == {len(items)}
    first = pages[0]["items"][0]
    assert first == {"item_id": items[0]["item_id"], "type": items[0]["type"],
                     "category_id": str(items[0]["category_id"]), "title": items[0]["title"],
                     "url_name": items[0]["url_name"],
                     "image_url": f"/items/{items[0]['item_id']}/image", "in_stock": True}


def test_default_page_and_type_filter(client, items):
    page = client.get("/items").json()
    assert (page["offset"], page["limit"], len(page["items"])) == (0, 24, 24)
    counts = Counter(item["type"] for item in items)
    for info in client.get("/types").json()["types"]:
        name = info["name"]
        pages = _all_pages(client, limit=37, type=name)
        listed = [item for page in pages for item in page["items"]]
        assert {item["type"] for item in listed} <= {name}
        assert pages[0]["total"] == len(listed) == counts[name] == info["n_items"]
        assert [i["item_id"] for i in listed] == [i["item_id"] for i in items
                                                  if i["type"] == name]


def test_past_the_end_is_an_empty_page(client, items):
    page = client.get("/items", params={"offset": len(items) + 5}).json()
    assert page["items"] == [] and page["total"] == len(items)


@pytest.mark.parametrize("query, code, needle", [
    ({"type": "capes"}, "unknown_type", "'capes' is not one of"),
    ({"limit": 0}, "invalid_request", "limit"),
    ({"limit": 101}, "invalid_request", "limit"),
    ({"offset": -1}, "invalid_request", "offset"),
    ({"limit": "ten"}, "invalid_request", "limit"),
])
def test_bad_queries_say_what_to_fix(client, query, code, needle):
    r = client.get("/items", params=query)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == code and needle in error["message"]


def test_removed_items_are_not_offered(pipeline, tmp_path, items):
    bundle = tmp_path / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    shoes = [i["item_id"] for i in items if i["type"] == "shoes"]
    gone = set(shoes[:3])
    remove_items(bundle, gone)
    with TestClient(create_app(Settings(artifacts=bundle))) as c:
        everything = _all_pages(c, limit=100)
        listed = [i["item_id"] for page in everything for i in page["items"]]
        assert listed == [i["item_id"] for i in items if i["item_id"] not in gone]
        assert everything[0]["total"] == len(items) - 3
        page = c.get("/items", params={"type": "shoes", "limit": 100}).json()
        assert [i["item_id"] for i in page["items"]] == shoes[3:103]
        assert page["total"] == len(shoes) - 3
