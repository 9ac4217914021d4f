"""url_name, Polyvore's slug of the product name: written by the sample, read from the
metadata, kept in the bundle's items.json, served by GET /items and GET /items/{id}, and the
text an item falls back to when its title and description are empty."""

import dataclasses
import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from index.manifest import file_sha256
from model.data.polyvore import load_polyvore
from model.text import item_text

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


@pytest.fixture(scope="module")
def metadata(pipeline):
    return json.loads((pipeline.data / "polyvore_item_metadata.json").read_text())


def test_the_sample_writes_a_slug_of_the_product_name(metadata):
    untitled = {i: r for i, r in metadata.items() if not r["title"]}
    assert 0 < len(untitled) < 0.1 * len(metadata)
    for record in metadata.values():
        assert SLUG.fullmatch(record["url_name"]), record
        if record["title"]:
            assert record["url_name"].split("-") == re.findall("[a-z0-9]+",
                                                               record["title"].lower())
    # where the title was left empty the product still has its name, as in the release: its
    # colour, pattern and kind, the words the description names it with
    described = [r for r in untitled.values() if r["description"]]
    assert described
    for record in described:
        words = set(re.findall("[a-z0-9]+", record["description"].lower()))
        assert len(record["url_name"].split("-")) >= 2
        assert set(record["url_name"].split("-")) <= words, record


def test_the_reader_keeps_url_name_and_the_text_falls_back_to_it(pipeline, metadata):
    data = load_polyvore(pipeline.data, pipeline.split)
    assert {i: item.url_name for i, item in data.items.items()} == {
        i: r["url_name"] for i, r in metadata.items()}
    untitled = [item for item in data.items.values() if not item.title]
    assert untitled
    for item in untitled:
        # the description first; with none either, the slug's words
        assert item_text(item) == (item.description or item.url_name.replace("-", " "))
        bare = dataclasses.replace(item, description="")
        assert item_text(bare) == " ".join(item.url_name.split("-")) != ""


def test_the_bundle_keeps_url_name_for_every_item(pipeline, metadata):
    items = json.loads((pipeline.bundle / "items.json").read_text())
    assert len(items) == len(metadata)
    assert all(item["url_name"] == metadata[item["item_id"]]["url_name"] for item in items)


def test_items_are_served_with_their_url_name(client, metadata):
    untitled = next(i for i, r in metadata.items() if not r["title"])
    item = client.get(f"/items/{untitled}").json()
    assert item["title"] == "" and item["url_name"] == metadata[untitled]["url_name"] != ""
    offset, seen = 0, 0
    while True:
        page = client.get("/items", params={"limit": 100, "offset": offset}).json()
        for listed in page["items"]:
            assert listed["url_name"] == metadata[listed["item_id"]]["url_name"]
        seen += len(page["items"])
        offset += 100
        if offset >= page["total"]:
            break
    assert seen == len(metadata)


def test_url_name_is_documented_and_optional(client):
    schema = client.get("/openapi.json").json()["components"]["schemas"]["Item"]
    assert "url_name" not in schema["required"]
    assert "slug" in schema["properties"]["url_name"]["description"]


def test_a_version_2_bundle_without_url_name_serves_it_empty(pipeline, tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    items = json.loads((bundle / "items.json").read_text())
    (bundle / "items.json").write_text(json.dumps(
        [{k: v for k, v in item.items() if k != "url_name"} for item in items]))
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["format_version"] = 2
    manifest["files"]["items.json"] = file_sha256(bundle / "items.json")
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with TestClient(create_app(Settings(artifacts=bundle))) as c:
        assert c.get("/readyz").json()["bundle_format"] == 2
        item = c.get(f"/items/{items[0]['item_id']}").json()
        assert item["url_name"] == "" and item["title"] == items[0]["title"]
        assert {i["url_name"] for i in c.get("/items").json()["items"]} == {""}
