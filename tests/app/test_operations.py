"""Catalog, operations and admin endpoints; the compatibility explanation; search options."""

import json
import shutil
from itertools import combinations

import numpy as np
import pytest
import torch

from tests.app.conftest import ADMIN_TOKEN, make_client


@pytest.fixture(scope="module")
def client(upload_client):
    return upload_client


@pytest.fixture(scope="module")
def catalog(client):
    return client.app.state.served.catalog


def _ids(catalog, *rows):
    return [{"item_id": catalog.items[r]["item_id"]} for r in rows]


def test_compatibility_explains_every_pair(client, catalog):
    rows = [0, 5, 9, 13]
    body = client.post("/compatibility", json={"outfit": _ids(catalog, *rows)}).json()
    matrix = catalog.scorer.outfit_pair_distances(torch.tensor([rows]))[0]
    assert [tuple(p["items"]) for p in body["pairs"]] == list(combinations(range(4), 2))
    for pair in body["pairs"]:
        a, b = pair["items"]
        assert pair["distance"] == pytest.approx(float(matrix[a, b]), rel=1e-6)
        assert pair["item_ids"] == [catalog.items[rows[a]]["item_id"],
                                    catalog.items[rows[b]]["item_id"]]
        assert pair["types"] == [catalog.items[rows[a]]["type"], catalog.items[rows[b]]["type"]]
    assert body["distance"] == pytest.approx(np.mean([p["distance"] for p in body["pairs"]]))
    assert body["weakest_pair"] == max(body["pairs"], key=lambda p: p["distance"])


def test_item_and_its_image(client, catalog, pipeline):
    item = catalog.items[3]
    body = client.get(f"/items/{item['item_id']}").json()
    assert body["item_id"] == item["item_id"] and body["type"] == item["type"]
    assert body["title"] == item["title"]
    r = client.get(body["image_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == (pipeline.data / "images" / f"{item['item_id']}.jpg").read_bytes()
    r = client.get("/items/nope")
    assert r.status_code == 404 and "'nope'" in r.json()["error"]["message"]
    for trick in ("..%2F..%2Fetc%2Fpasswd", "%2E%2E", "../manifest.json"):
        r = client.get(f"/items/{trick}/image")
        assert r.status_code == 404 and "error" in r.json()


def test_image_without_an_images_folder_says_how_to_set_it(pipeline, catalog):
    with make_client(pipeline.bundle) as plain:
        r = plain.get(f"/items/{catalog.items[0]['item_id']}/image")
    assert r.status_code == 404 and "LOOKBOOK_IMAGES_DIR" in r.json()["error"]["message"]


def test_types_count_the_catalog(client, catalog):
    body = client.get("/types").json()
    assert [t["name"] for t in body["types"]] == list(catalog.types)
    assert sum(t["n_items"] for t in body["types"]) == len(catalog.items)


def test_readyz_reports_versions(client, catalog):
    body = client.get("/readyz").json()
    assert body["status"] == "ready" and body["uploads"] is True
    assert body["model_hash"] == catalog.manifest.model_hash
    assert body["n_items"] == len(catalog.items) and body["backbone"]


def test_metrics_count_requests_errors_and_latency(client, catalog):
    client.post("/compatibility", json={"outfit": _ids(catalog, 0, 1)})
    client.post("/compatibility", json={"outfit": [{"item_id": "missing"}, {"item_id": "x"}]})
    text = client.get("/metrics").text
    assert ('lookbook_requests_total{endpoint="/compatibility",method="POST",status="200"}'
            in text)
    assert 'lookbook_errors_total{code="unknown_item",endpoint="/compatibility"}' in text
    assert 'lookbook_request_duration_seconds_bucket{endpoint="/compatibility",le="0.025"}' in text
    generation = client.get("/readyz").json()["generation"]
    assert (f'lookbook_bundle_info{{generation="{generation}",'
            f'model_hash="{catalog.manifest.model_hash}"}} 1.0') in text


def test_request_ids_are_echoed_or_made(client):
    assert client.get("/healthz", headers={"x-request-id": "abc-123"}).headers[
        "x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"x-request-id": "bad id\n"}).headers["x-request-id"]
    assert len(made) == 32 and made != "bad id\n"


def test_unknown_routes_and_methods_use_the_error_body(client):
    r = client.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = client.get("/fitb")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"


def test_search_options_exclude_restrict_category_diversity(client, catalog):
    outfit = _ids(catalog, 0, 7)
    target = next(t for t in catalog.types if t not in {catalog.items[0]["type"],
                                                         catalog.items[7]["type"]})
    base = {"outfit": outfit, "blank_type": target, "k": 5}
    plain = [x["item_id"] for x in client.post("/fitb", json=base).json()["ranking"]]
    excluded = [x["item_id"] for x in client.post(
        "/fitb", json={**base, "exclude": plain[:2]}).json()["ranking"]]
    assert excluded[:3] == plain[2:5] and not set(plain[:2]) & set(excluded)
    restricted = client.post("/fitb", json={**base, "restrict_to": plain[3:] + ["unknown"]})
    assert [x["item_id"] for x in restricted.json()["ranking"]] == plain[3:]
    category = client.post("/fitb", json={**base, "category_id": str(
        catalog.items[catalog.row_of[plain[0]]]["category_id"])}).json()["ranking"]
    assert category[0]["item_id"] == plain[0]
    assert len({x["category_id"] for x in category}) == 1
    diverse = client.post("/fitb", json={**base, "diversity": 0.0}).json()["ranking"]
    assert len(diverse) == 5 and diverse[0]["item_id"] == plain[0]
    r = client.post("/fitb", json={**base, "diversity": 1.5})
    assert r.status_code == 422 and "diversity" in r.json()["error"]["message"]


def test_admin_route_absent_without_a_token(pipeline):
    with make_client(pipeline.bundle) as plain:
        assert plain.post("/admin/reload").status_code == 404
        assert "/admin/reload" not in plain.get("/openapi.json").json()["paths"]


def test_reload_needs_the_token(client):
    r = client.post("/admin/reload")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/admin/reload", headers={"authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_reload_swaps_in_a_good_bundle_and_refuses_a_bad_one(model_bundle, pipeline, tmp_path):
    auth = {"authorization": f"Bearer {ADMIN_TOKEN}"}
    broken = tmp_path / "broken"
    shutil.copytree(model_bundle, broken)
    (broken / "items.json").write_text("[]")
    mismatched = tmp_path / "mismatched"
    shutil.copytree(model_bundle, mismatched)
    description = json.loads((mismatched / "model" / "model.json").read_text())
    description["model_hash"] = "0" * 16
    (mismatched / "model" / "model.json").write_text(json.dumps(description))
    with make_client(model_bundle, admin_token=ADMIN_TOKEN) as c:
        first = c.app.state.served
        for bad, needle in ((broken, "items.json"), (mismatched, "model"),
                            (tmp_path / "nowhere", "manifest.json")):
            r = c.post("/admin/reload", headers=auth, json={"artifacts": str(bad)})
            assert r.status_code == 409, r.text
            assert r.json()["error"]["code"] == "reload_refused"
            assert needle in r.json()["error"]["message"]
            assert c.app.state.served is first
            assert c.get("/readyz").json()["generation"] == 1
        r = c.post("/admin/reload", headers=auth)
        assert r.status_code == 200, r.text
        assert r.json()["previous"]["generation"] == 1 and r.json()["current"]["generation"] == 2
        assert c.app.state.served is not first
        assert c.app.state.served.model.backbone is first.model.backbone  # reused, not rebuilt
        assert c.get("/readyz").json()["generation"] == 2
        assert c.post("/compatibility", json={"outfit": _ids(first.catalog, 0, 1)}
                      ).status_code == 200
        text = c.get("/metrics").text
        assert 'lookbook_reloads_total{outcome="ok"} 1.0' in text
        assert 'lookbook_reloads_total{outcome="refused"} 3.0' in text


def test_cors_origins_from_settings(pipeline):
    with make_client(pipeline.bundle, cors_origins=["https://shop.example"]) as c:
        r = c.options("/fitb", headers={"origin": "https://shop.example",
                                        "access-control-request-method": "POST"})
        assert r.headers["access-control-allow-origin"] == "https://shop.example"


def test_openapi_models_have_descriptions_and_examples(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/fitb", "/compatibility", "/embed", "/items/{item_id}", "/items/{item_id}/image",
            "/types", "/healthz", "/readyz", "/metrics", "/admin/reload"} <= paths
    schemas = spec["components"]["schemas"]
    for name in ("FitbRequest", "CompatibilityRequest", "OutfitItem"):
        assert schemas[name].get("examples"), name
    for name in ("FitbRequest", "CompatibilityResponse", "RankedItem", "PairDistance"):
        for field, prop in schemas[name]["properties"].items():
            assert prop.get("description"), f"{name}.{field}"
