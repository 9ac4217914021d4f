
"""Uploaded photos: embedded by the bundle's exported model, scored by the same scorer."""

import shutil

import numpy as np
import pytest
import torch

from tests.app.conftest import b64, image_bytes, make_client, new_image, png_bomb


@pytest.fixture(scope="module")
def catalog(upload_client):
    return upload_client.app.state.served.catalog


def _image_of(pipeline, catalog, row, fmt="PNG"):
    # PNG is lossless: the decoded pixels are the catalog JPEG's own
    return image_bytes(pipeline.data / "images" / f"{catalog.items[row]['item_id']}.jpg", fmt)


def _upload(pipeline, catalog, row):
    return {"image_base64": b64(_image_of(pipeline, catalog, row)),
            "type": catalog.items[row]["type"]}


def _ref(catalog, row):
    return {"item_id": catalog.items[row]["item_id"]}


def test_an_uploaded_catalog_photo_scores_as_the_catalog_item(upload_client, catalog, pipeline):
    rows = [0, 5, 9]
    by_id = upload_client.post("/compatibility",
                               json={"outfit": [_ref(catalog, r) for r in rows]}).json()
    mixed = [_ref(catalog, 0), _upload(pipeline, catalog, 5), _ref(catalog, 9)]
    r = upload_client.post("/compatibility", json={"outfit": mixed})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["distance"] == pytest.approx(by_id["distance"], abs=1e-4)
    assert body["pairs"][0]["item_ids"] == [catalog.items[0]["item_id"], None]
    assert [p["distance"] for p in body["pairs"]] == pytest.approx(
        [p["distance"] for p in by_id["pairs"]], abs=1e-4)


def test_an_uploaded_candidate_ranks_where_the_catalog_item_does(upload_client, catalog,
                                                                 pipeline):
    outfit = [_ref(catalog, r) for r in (0, 7)]
    target = catalog.items[13]["type"]
    same_type = [i for i, it in enumerate(catalog.items) if it["type"] == target][:4]
    candidates = [_ref(catalog, r) for r in same_type]
    by_id = upload_client.post("/fitb", json={"outfit": outfit, "candidates": candidates})
    candidates[2] = _upload(pipeline, catalog, same_type[2])
    mixed = upload_client.post("/fitb", json={"outfit": outfit, "candidates": candidates})
    assert mixed.status_code == 200, mixed.text
    want = {x["item_id"]: x["distance"] for x in by_id.json()["ranking"]}
    for x in mixed.json()["ranking"]:
        if x["item_id"] is None:
            assert x["upload"] == 2 and x["type"] == target
            assert x["distance"] == pytest.approx(want[catalog.items[same_type[2]]["item_id"]],
                                                  abs=1e-4)
        else:
            assert x["distance"] == pytest.approx(want[x["item_id"]], abs=1e-6)


def test_retrieval_for_an_outfit_with_an_upload_equals_the_catalog_search(upload_client,
                                                                          catalog, pipeline):
    rows = [0, 7]
    other = next(t for t in catalog.types
                 if t not in {catalog.items[r]["type"] for r in rows})
    by_id = upload_client.post("/fitb", json={"outfit": [_ref(catalog, r) for r in rows],
                                              "blank_type": other, "k": 5}).json()
    mixed = upload_client.post("/fitb", json={
        "outfit": [_ref(catalog, 0), _upload(pipeline, catalog, 7)],
        "blank_type": other, "k": 5})
    assert mixed.status_code == 200, mixed.text
    got = mixed.json()["ranking"]
    assert [x["item_id"] for x in got] == [x["item_id"] for x in by_id["ranking"]]
    assert [x["score"] for x in got] == pytest.approx([x["score"] for x in by_id["ranking"]],
                                                      abs=1e-4)


def test_embed_gives_the_catalog_embedding_and_every_space(upload_client, catalog, pipeline):
    row = 17
    item = catalog.items[row]
    r = upload_client.post("/embed", data={"type": item["type"]},
                           files={"file": ("x.jpg", (pipeline.data / "images" /
                                                     f"{item['item_id']}.jpg").read_bytes(),
                                           "image/jpeg")})
    assert r.status_code == 200, r.text
    body = r.json()
    np.testing.assert_allclose(body["embedding"], catalog.scorer.embeddings[row].numpy(),
                               atol=1e-4)
    assert set(body["spaces"]) == set(catalog.types)
    for vector in body["spaces"].values():
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert body["model_hash"] == catalog.manifest.model_hash


@pytest.mark.parametrize(
    ("data", "status", "code", "needle"),
    [
        (b"this is not an image at all", 422, "invalid_image", "not a readable"),
        (b"", 422, "invalid_request", "image_base64"),
        (new_image((64, 64))[:60], 422, "invalid_image", "truncated"),
        # a decompression bomb: a 30000x30000 image declared in a few hundred bytes
        (png_bomb(30000, 30000), 413, "too_large", "limit of 25000000 pixels"),
        (png_bomb(6000, 5000), 413, "too_large", "6000x5000 pixels"),
        (new_image((6000, 5000)), 413, "too_large", "25000000 pixels"),
    ],
)
def test_hostile_uploads_are_refused(upload_client, catalog, data, status, code, needle):
    r = upload_client.post("/compatibility", json={"outfit": [
        {"item_id": catalog.items[0]["item_id"]},
        {"image_base64": b64(data), "type": catalog.types[0]}]})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code and needle in r.json()["error"]["message"]


def test_upload_limits_say_the_limit(model_bundle, catalog):
    with make_client(model_bundle, max_image_bytes=2048, max_body_bytes=64 << 10,
                     max_uploads=1) as client:
        ref = {"item_id": catalog.items[0]["item_id"]}
        big = {"image_base64": b64(np.random.default_rng(0).bytes(4096)), "type": "tops"}
        r = client.post("/compatibility", json={"outfit": [ref, big]})
        assert r.status_code == 413 and "2048 bytes" in r.json()["error"]["message"]
        r = client.post("/embed", data={"type": catalog.types[0]},
                        files={"file": ("x.png", b"x" * 4096, "image/png")})
        assert r.status_code == 413 and "2048" in r.json()["error"]["message"]
        r = client.post("/compatibility", content=b"{" + b" " * (65 << 10) + b"}",
                        headers={"content-type": "application/json"})
        assert r.status_code == 413 and str(64 << 10) in r.json()["error"]["message"]
        small = {"image_base64": b64(new_image((8, 8))), "type": catalog.types[0]}
        r = client.post("/compatibility", json={"outfit": [ref, small, small]})
        assert r.status_code == 422 and "at most 1 uploaded" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("item", "needle"),
    [
        ({"image_base64": "aGk=", "type": "capes"}, "capes"),
        ({"image_base64": "aGk="}, "needs its type"),
        ({"item_id": "X", "image_base64": "aGk=", "type": "tops"}, "not both"),
        ({"image_base64": "not base64!!", "type": "tops"}, "base64"),
    ],
)
def test_malformed_upload_items(upload_client, catalog, item, needle):
    item = {k: (catalog.items[1]["item_id"] if v == "X" else v) for k, v in item.items()}
    if item.get("type") == "tops" and "tops" not in catalog.types:
        item["type"] = catalog.types[0]
    r = upload_client.post("/compatibility", json={"outfit": [
        {"item_id": catalog.items[0]["item_id"]}, item]})
    assert r.status_code == 422, r.text
    assert needle in r.json()["error"]["message"]


def test_uploads_without_a_model_say_so(pipeline, tmp_path):
    bundle = tmp_path / "no-model"
    shutil.copytree(pipeline.bundle, bundle, ignore=shutil.ignore_patterns("model"))
    with make_client(bundle) as client:
        _uploads_are_refused(client, client.app.state.served.catalog)


def _uploads_are_refused(client, catalog):
    small = {"image_base64": b64(new_image((8, 8))), "type": catalog.types[0]}
    r = client.post("/compatibility", json={"outfit": [
        {"item_id": catalog.items[0]["item_id"]}, small]})
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "uploads_unavailable"
    assert "model/" in r.json()["error"]["message"]
    assert client.get("/readyz").json()["uploads"] is False


def test_scores_do_not_depend_on_torch_threads(upload_client, catalog, pipeline):
    # the server runs torch single-threaded; the catalog was embedded multi-threaded
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        outfit = [_ref(catalog, 0), _upload(pipeline, catalog, 5)]
        r = upload_client.post("/compatibility", json={"outfit": outfit})
    finally:
        torch.set_num_threads(previous)
    want = float(catalog.scorer.compatibility_distances(torch.tensor([[0, 5]]))[0])
    assert r.json()["distance"] == pytest.approx(want, abs=1e-4)


def test_retrieval_with_an_upload_and_an_unknown_id_is_a_404(upload_client, catalog, pipeline):
    """Found by the schema fuzzer: the unknown id raised a KeyError (a 500) before its 404."""
    other = next(t for t in catalog.types if t != catalog.items[7]["type"])
    r = upload_client.post("/fitb", json={
        "outfit": [{"item_id": "no-such-item"}, _upload(pipeline, catalog, 7)],
        "blank_type": other, "k": 5})
    assert r.status_code == 404, r.text
    assert "no-such-item" in r.json()["error"]["message"]


@pytest.mark.parametrize("length", ["-1", "12abc", "1e3", " "])
def test_a_malformed_content_length_is_a_400_that_says_so(upload_client, length):
    # the ASGI app sees the header as sent; a proxy or an in-process client may pass it on
    r = upload_client.post("/compatibility", content=b'{"outfit": []}',
                           headers={"content-type": "application/json",
                                    "content-length": length})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
    assert "Content-Length" in r.json()["error"]["message"]
    assert "x-request-id" in r.headers
