"""GET /types counts what the service serves: items removed from stock are not counted, so
each type's count is the number of GET /items of that type and of what a search can return."""

import json
import shutil
from collections import Counter

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from index.mutate import remove_items
from index.search import CatalogIndex

# removed from stock, per type: several of one type, one of another, none of the rest
REMOVED_PER_TYPE = {"shoes": 4, "bags": 1}


def _listed(client, type_name: str) -> list[str]:
    ids, offset = [], 0
    while True:
        page = client.get("/items", params={"type": type_name, "limit": 100,
                                            "offset": offset}).json()
        ids += [item["item_id"] for item in page["items"]]
        offset += 100
        if offset >= page["total"]:
            return ids


@pytest.fixture(scope="module")
def stocked(pipeline, tmp_path_factory):
    """A copy of the pipeline's bundle with some items removed from stock."""
    bundle = tmp_path_factory.mktemp("stock") / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    items = json.loads((bundle / "items.json").read_text())
    gone = [i["item_id"] for t, n in REMOVED_PER_TYPE.items()
            for i in [i for i in items if i["type"] == t][:n]]
    remove_items(bundle, gone)
    return bundle, items, set(gone)


def test_types_count_only_items_still_served(stocked):
    bundle, items, gone = stocked
    catalog = CatalogIndex.load(bundle)
    assert len(catalog.removed) == sum(REMOVED_PER_TYPE.values())
    built = Counter(i["type"] for i in items)
    with TestClient(create_app(Settings(artifacts=bundle))) as client:
        types = {t["name"]: t["n_items"] for t in client.get("/types").json()["types"]}
        assert list(types) == list(catalog.types)
        for name, n_items in types.items():
            listed = _listed(client, name)
            assert not gone & set(listed)
            assert n_items == len(listed) == built[name] - REMOVED_PER_TYPE.get(name, 0)
            total = client.get("/items", params={"type": name, "limit": 1}).json()["total"]
            assert total == n_items
    # what a search of the type can return at most: the same count, less the outfit's item
    worn = next(i for i in items if i["item_id"] not in gone)
    outfit = [catalog.row_of[worn["item_id"]]]
    for t, name in enumerate(catalog.types):
        hits = catalog.search(outfit, t, k=len(items), exclude=set(outfit))
        assert len(hits) == types[name] - (name == worn["type"])


def test_an_item_removed_and_added_again_counts_once(stocked, tmp_path):
    from index.mutate import add_items

    source, _, gone = stocked
    bundle = tmp_path / "bundle"
    shutil.copytree(source, bundle)
    before = CatalogIndex.load(bundle)
    back = sorted(gone)[0]
    row = before.row_of[back]
    add_items(bundle, [dict(before.items[row])], before.scorer.embeddings[[row]].numpy())
    after = CatalogIndex.load(bundle)
    t = after.types.index(after.items[row]["type"])
    assert len(after.items) == len(before.items) + 1  # the old row stays, removed
    assert after.live_counts()[t] == before.live_counts()[t] + 1
    with TestClient(create_app(Settings(artifacts=bundle))) as client:
        counts = {i["name"]: i["n_items"] for i in client.get("/types").json()["types"]}
        listed = _listed(client, after.types[t])
    assert counts[after.types[t]] == len(listed) == after.live_counts()[t]
    assert listed.count(back) == 1 and listed[-1] == back  # its new row, at the end


def test_a_removed_item_answers_marked_out_of_stock_and_still_scores(stocked):
    bundle, items, gone = stocked
    removed = sorted(gone)[0]
    kept = [i["item_id"] for i in items if i["item_id"] not in gone]
    with TestClient(create_app(Settings(artifacts=bundle))) as client:
        item = client.get(f"/items/{removed}").json()
        assert item["item_id"] == removed and item["in_stock"] is False
        assert client.get(f"/items/{kept[0]}").json()["in_stock"] is True
        listed = client.get("/items", params={"limit": 100}).json()["items"]
        assert all(i["in_stock"] for i in listed)
        # a shopper may own it: an outfit holding it is still scored
        other = next(i["item_id"] for i in items if i["item_id"] not in gone
                     and i["type"] != next(x["type"] for x in items
                                           if x["item_id"] == removed))
        r = client.post("/compatibility", json={"outfit": [{"item_id": removed},
                                                           {"item_id": other}]})
        assert r.status_code == 200 and 0 <= r.json()["score"] <= 1
