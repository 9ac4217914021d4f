"""The OpenAPI examples work as pasted against the demo catalog (seed 0, what `lookbook demo`
serves): every request example of every operation is sent to a service over the demo
catalog's items and must be answered 200; operations and parameters without an example are
reported."""

import io
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from app import schemas
from app.core.config import Settings
from app.main import create_app
from index.bundle import BundleModel, write_bundle
from index.manifest import read_manifest
from model.sample import build_sample
from tests.app.conftest import ADMIN_TOKEN, make_client

# Operations whose examples cannot be pasted against a demo service as it runs: reloading
# needs the admin token and a second bundle (tests/app/test_operations.py covers it).
NOT_PASTABLE = {("post", "/admin/reload")}


def _example_ids(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "item_id" and isinstance(value, str):
                found.add(value)
            found |= _example_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _example_ids(value)
    return found


def test_examples_are_demo_items_of_the_named_types(tmp_path):
    demo = {item.item_id: item.fine.semantic for item in build_sample(0).items}
    assert demo[schemas.EXAMPLE_TOP] == "tops"
    assert demo[schemas.EXAMPLE_BOTTOM] == "bottoms"
    assert {demo[i] for i in schemas.EXAMPLE_SHOES} == {"shoes"}
    assert demo[schemas.EXAMPLE_BAG] == "bags"
    assert demo[schemas.EXAMPLE_JEWELLERY] == "jewellery"
    # the outfit example is a real test outfit of the demo catalog, whole
    outfit = {schemas.EXAMPLE_TOP, schemas.EXAMPLE_BOTTOM, schemas.EXAMPLE_SHOES[0],
              schemas.EXAMPLE_BAG, schemas.EXAMPLE_JEWELLERY}
    sample = build_sample(0)
    assert any(outfit == set(o.item_ids) for o in sample.outfits["nondisjoint"]["test"])
    spec = create_app(Settings(artifacts=tmp_path)).openapi()
    ids = _example_ids(json.loads(json.dumps(spec)))
    assert ids and ids <= set(demo), sorted(ids - set(demo))


@pytest.fixture(scope="module")
def demo_client(pipeline, tmp_path_factory):
    """A service over the demo catalog's items (ids, types, categories, titles), embedded
    with synthetic vectors in the trained model's spaces, with the model for uploads."""
    root = tmp_path_factory.mktemp("demo")
    trained = read_manifest(pipeline.bundle)
    items = [{"item_id": i.item_id, "type": i.fine.semantic, "category_id": i.fine.category_id,
              "title": i.title} for i in build_sample(0).items]
    embeddings = np.random.default_rng(0).standard_normal(
        (len(items), trained.embedding_dim)).astype(np.float32)
    model = BundleModel(model_hash=trained.model_hash, split=trained.split,
                        types=list(trained.types), normalize_spaces=trained.normalize_spaces,
                        distance=trained.distance, calibration=trained.calibration)
    write_bundle(root / "bundle", items=items, embeddings=embeddings,
                 masks=np.load(pipeline.bundle / "masks.npy"), model=model,
                 write_extra=lambda staging: shutil.copytree(pipeline.bundle / "model",
                                                             staging / "model"))
    images = root / "images"
    images.mkdir()
    for item in items:  # a plain swatch per item, for GET /items/{id}/image
        if item["item_id"] == schemas.EXAMPLE_TOP:
            Image.new("RGB", (32, 32), (120, 20, 20)).save(images / f"{item['item_id']}.jpg")
    with make_client(root / "bundle", images_dir=images, admin_token=ADMIN_TOKEN) as client:
        yield client


def _resolve(spec: dict, schema: dict) -> dict:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), (30, 60, 200)).save(out, "JPEG")
    return out.getvalue()


def _calls(spec: dict, path: str, method: str, op: dict) -> list[dict]:
    """Every request the operation's examples describe, as keyword arguments of the client;
    raises AssertionError naming what has no example."""
    url, query = path, {}
    for param in op.get("parameters", []):
        examples = param.get("examples") or param["schema"].get("examples")
        if param["in"] == "path":
            assert examples, f"{method.upper()} {path}: path parameter {param['name']} has no " \
                             "example"
            url = url.replace("{" + param["name"] + "}", str(examples[0]))
        elif param["in"] == "query" and examples:
            query[param["name"]] = examples[0]
    content = op.get("requestBody", {}).get("content", {})
    calls = [] if content else [{"url": url, "params": query}]
    if "application/json" in content:
        examples = _resolve(spec, content["application/json"]["schema"]).get("examples")
        assert examples, f"{method.upper()} {path}: the JSON body has no example"
        calls += [{"url": url, "params": query, "json": example} for example in examples]
    if "multipart/form-data" in content:
        form = _resolve(spec, content["multipart/form-data"]["schema"])
        data, files = {}, {}
        for name, prop in form["properties"].items():
            if prop.get("contentMediaType") == "application/octet-stream":
                files[name] = (f"{name}.jpg", _jpeg(), "image/jpeg")
            else:
                assert prop.get("examples"), f"{method.upper()} {path}: form field {name} " \
                                             "has no example"
                data[name] = prop["examples"][0]
        calls.append({"url": url, "params": query, "data": data, "files": files})
    return calls


def test_every_example_works_against_the_demo_catalog(demo_client):
    spec = demo_client.get("/openapi.json").json()
    sent = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            if (method, path) in NOT_PASTABLE:
                continue
            for call in _calls(spec, path, method, op):
                r = demo_client.request(method.upper(), **call)
                assert r.status_code == 200, (method, path, call.get("json", call.get("data")),
                                              r.text)
                sent.append((method, path))
    # the request examples of the recommendation endpoints, all of them, by media type
    assert sent.count(("post", "/fitb")) == 3 + 1
    assert sent.count(("post", "/compatibility")) == 1 + 1
    assert ("post", "/embed") in sent and ("get", "/items/{item_id}/image") in sent


def test_the_demo_suggests_the_example_outfit_or_else_one_item_per_type(tmp_path):
    from app.demo import _example_request

    demo = [{"item_id": i.item_id, "type": i.fine.semantic} for i in build_sample(0).items]
    (tmp_path / "items.json").write_text(json.dumps(demo))
    assert json.loads(_example_request(tmp_path)) == {"outfit": [
        {"item_id": schemas.EXAMPLE_TOP}, {"item_id": schemas.EXAMPLE_BOTTOM},
        {"item_id": schemas.EXAMPLE_SHOES[0]}]}
    other = [{"item_id": "a", "type": "shoes"}, {"item_id": "b", "type": "tops"},
             {"item_id": "c", "type": "tops"}]
    (tmp_path / "items.json").write_text(json.dumps(other))
    assert json.loads(_example_request(tmp_path)) == {"outfit": [{"item_id": "b"},
                                                                 {"item_id": "a"}]}
