"""Uploaded photos as multipart/form-data file parts on /fitb and /compatibility: the same
JSON in a `request` field, items naming their part with `file`; same answers, same limits."""

import json

import pytest

from tests.app.conftest import image_bytes, make_client, new_image, png_bomb


@pytest.fixture(scope="module")
def catalog(upload_client):
    return upload_client.app.state.served.catalog


def _photo(pipeline, catalog, row) -> bytes:
    # PNG is lossless: the decoded pixels are the catalog JPEG's own
    return image_bytes(pipeline.data / "images" / f"{catalog.items[row]['item_id']}.jpg")


def _ref(catalog, row):
    return {"item_id": catalog.items[row]["item_id"]}


def _multipart(client, path, body, files):
    return client.post(path, data={"request": json.dumps(body)},
                       files={name: (f"{name}.png", data, "image/png")
                              for name, data in files.items()})


def test_a_photo_part_scores_as_the_catalog_item(upload_client, catalog, pipeline):
    rows = [0, 5, 9]
    by_id = upload_client.post("/compatibility",
                               json={"outfit": [_ref(catalog, r) for r in rows]}).json()
    outfit = [_ref(catalog, 0), {"file": "look", "type": catalog.items[5]["type"]},
              _ref(catalog, 9)]
    r = _multipart(upload_client, "/compatibility", {"outfit": outfit},
                   {"look": _photo(pipeline, catalog, 5)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["distance"] == pytest.approx(by_id["distance"], abs=1e-4)
    assert body["pairs"][0]["item_ids"] == [catalog.items[0]["item_id"], None]


def test_photo_parts_as_outfit_items_and_candidates(upload_client, catalog, pipeline):
    outfit = [_ref(catalog, r) for r in (0, 7)]
    target = catalog.items[13]["type"]
    same_type = [i for i, it in enumerate(catalog.items) if it["type"] == target][:4]
    candidates = [_ref(catalog, r) for r in same_type]
    by_id = upload_client.post("/fitb", json={"outfit": outfit, "candidates": candidates})
    want = {x["item_id"]: x["distance"] for x in by_id.json()["ranking"]}
    candidates[1] = {"file": "c1", "type": target}
    mixed_outfit = [outfit[0], {"file": "o1", "type": catalog.items[7]["type"]}]
    r = _multipart(upload_client, "/fitb", {"outfit": mixed_outfit, "candidates": candidates},
                   {"c1": _photo(pipeline, catalog, same_type[1]),
                    "o1": _photo(pipeline, catalog, 7)})
    assert r.status_code == 200, r.text
    ranking = r.json()["ranking"]
    assert len(ranking) == 4
    for x in ranking:
        item_id = x["item_id"] or catalog.items[same_type[1]]["item_id"]
        assert x["distance"] == pytest.approx(want[item_id], abs=1e-4)
    assert [x["upload"] for x in ranking if x["item_id"] is None] == [1]


def test_retrieval_with_a_photo_part_equals_the_catalog_search(upload_client, catalog,
                                                               pipeline):
    other = next(t for t in catalog.types
                 if t not in {catalog.items[r]["type"] for r in (0, 7)})
    by_id = upload_client.post("/fitb", json={"outfit": [_ref(catalog, 0), _ref(catalog, 7)],
                                              "blank_type": other, "k": 5}).json()
    r = _multipart(upload_client, "/fitb", {
        "outfit": [_ref(catalog, 0), {"file": "p", "type": catalog.items[7]["type"]}],
        "blank_type": other, "k": 5}, {"p": _photo(pipeline, catalog, 7)})
    assert r.status_code == 200, r.text
    assert [x["item_id"] for x in r.json()["ranking"]] == [
        x["item_id"] for x in by_id["ranking"]]


def _outfit_with_part(catalog, name="p"):
    return {"outfit": [_ref(catalog, 0), {"file": name, "type": catalog.types[0]}]}


@pytest.mark.parametrize(
    ("files", "status", "code", "needle"),
    [
        ({"p": b"not an image"}, 422, "invalid_image", "outfit[1]: not a readable"),
        ({"p": png_bomb(30000, 30000)}, 413, "too_large", "limit of 25000000 pixels"),
        ({"p": new_image((6000, 5000))}, 413, "too_large", "6000x5000 pixels"),
        ({}, 422, "invalid_outfit", "no file part named 'p'"),
        ({"p": new_image((8, 8)), "extra": new_image((8, 8))}, 422, "invalid_outfit",
         "'extra' is not named by any item"),
    ],
)
def test_bad_photo_parts_are_refused(upload_client, catalog, files, status, code, needle):
    r = _multipart(upload_client, "/compatibility", _outfit_with_part(catalog), files)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert needle in r.json()["error"]["message"]


def test_the_json_field_is_required_and_validated(upload_client, catalog):
    r = upload_client.post("/fitb", data={"other": "x"},
                           files={"p": ("p.png", new_image((8, 8)), "image/png")})
    assert r.status_code == 422 and "'request'" in r.json()["error"]["message"]
    r = upload_client.post("/fitb", files={"p": ("p.png", new_image((8, 8)), "image/png")})
    assert r.status_code == 422 and "'request'" in r.json()["error"]["message"]
    r = upload_client.post("/fitb", data={"request": "{not json"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"
    r = upload_client.post("/fitb", data={"request": json.dumps({"outfit": []})},
                           files={"unused": ("p.png", new_image((8, 8)), "image/png")})
    assert r.status_code == 422


def test_a_file_item_in_a_json_body_says_to_use_multipart(upload_client, catalog):
    r = upload_client.post("/compatibility", json=_outfit_with_part(catalog))
    assert r.status_code == 422
    assert "multipart/form-data" in r.json()["error"]["message"]


def test_other_media_types_are_refused(upload_client, catalog):
    r = upload_client.post("/fitb", content=b"outfit=1", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["error"]["code"] == "unsupported_media_type"
    assert "multipart/form-data" in r.json()["error"]["message"]


def test_multipart_limits_say_the_limit(model_bundle, catalog):
    with make_client(model_bundle, max_image_bytes=2048, max_body_bytes=64 << 10,
                     max_uploads=1) as client:
        big = new_image((64, 64))[:0] + b"\x89PNG" + b"x" * 4096
        r = _multipart(client, "/compatibility", _outfit_with_part(catalog), {"p": big})
        assert r.status_code == 413
        assert "file part 'p'" in r.json()["error"]["message"]
        assert "2048 bytes" in r.json()["error"]["message"]
        two = {"outfit": [_ref(catalog, 0), {"file": "a", "type": catalog.types[0]},
                          {"file": "b", "type": catalog.types[0]}]}
        r = _multipart(client, "/compatibility", two,
                       {"a": new_image((8, 8)), "b": new_image((8, 8))})
        assert r.status_code == 422
        assert "at most 1 photo part" in r.json()["error"]["message"]
        r = _multipart(client, "/compatibility", _outfit_with_part(catalog),
                       {"p": b"x" * (65 << 10)})
        assert r.status_code == 413 and str(64 << 10) in r.json()["error"]["message"]
        # the same body without a Content-Length (chunked) is cut off as it arrives
        head = (b'--b\r\nContent-Disposition: form-data; name="p"; filename="p.png"\r\n'
                b"Content-Type: image/png\r\n\r\n")
        chunks = iter([head] + [b"x" * (8 << 10)] * 9 + [b"\r\n--b--\r\n"])
        r = client.post("/compatibility", content=chunks,
                        headers={"content-type": "multipart/form-data; boundary=b"})
        assert r.status_code == 413 and str(64 << 10) in r.json()["error"]["message"]


def test_openapi_documents_both_media_types(upload_client):
    spec = upload_client.get("/openapi.json").json()
    for path, model in (("/fitb", "FitbRequest"), ("/compatibility", "CompatibilityRequest")):
        content = spec["paths"][path]["post"]["requestBody"]["content"]
        assert content["application/json"]["schema"]["$ref"].endswith(f"/{model}")
        form = content["multipart/form-data"]["schema"]
        assert form["required"] == ["request"]
        assert form["properties"]["photo"]["contentMediaType"] == "application/octet-stream"
        assert model in spec["components"]["schemas"]
    item = spec["components"]["schemas"]["OutfitItem"]["properties"]
    assert item["file"]["description"]
