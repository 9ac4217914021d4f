"""Hostile requests: oversized and chunked bodies, decompression bombs, truncated and
non-image files, extreme aspect ratios, path tricks in ids, huge numbers, NaN and infinities.
Each gets a 4xx with the error body and a message that names the problem."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.app.conftest import new_image, png_bomb

TOKEN = "hostile-token"
RED = (200, 30, 30)


IMAGES = {
    "bomb-30000x30000": (png_bomb(30000, 30000), 413, "too_large"),
    "bomb-6000x5000": (png_bomb(6000, 5000), 413, "too_large"),
    "truncated-png": (new_image((64, 64), color=RED)[:70], 422, "invalid_image"),
    "truncated-jpeg": (new_image((64, 64), "JPEG", color=RED)[:200], 422, "invalid_image"),
    "html-page": (b"<html><body>404</body></html>", 422, "invalid_image"),
    "gif": (new_image((16, 16), "GIF", color=RED), 422, "invalid_image"),
    "strip-1x2000": (new_image((1, 2000), color=RED), 422, "invalid_image"),
    "strip-3000x2": (new_image((3000, 2), color=RED), 422, "invalid_image"),
}


@pytest.fixture(scope="module")
def client(served_bundle):
    settings = Settings(artifacts=served_bundle, admin_token=TOKEN, access_log=False)
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def ids(client):
    items = client.app.state.served.catalog.items
    return [item["item_id"] for item in items[:2]], items[0]["type"]


def _error(r, status: int, code: str, needle: str = "") -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text
    assert needle in r.json()["error"]["message"], r.text


@pytest.mark.parametrize("name", list(IMAGES))
def test_hostile_images_in_json_and_multipart(client, ids, name):
    data, status, code = IMAGES[name]
    (first, _), type_ = ids
    upload = {"image_base64": base64.b64encode(data).decode(), "type": type_}
    _error(client.post("/compatibility", json={"outfit": [{"item_id": first}, upload]}),
           status, code, "outfit[1]")
    _error(client.post("/fitb", json={"outfit": [{"item_id": first}], "candidates": [upload]}),
           status, code, "candidates[0]")
    _error(client.post("/embed", data={"type": type_},
                       files={"file": ("x.png", data, "image/png")}), status, code)


def test_an_ordinary_aspect_ratio_is_still_accepted(client, ids):
    (first, _), type_ = ids
    photo = new_image((40, 600), color=RED)
    upload = {"image_base64": base64.b64encode(photo).decode(), "type": type_}
    r = client.post("/compatibility", json={"outfit": [{"item_id": first}, upload]})
    assert r.status_code == 200, r.text


def test_oversized_bodies(client):
    big = b"x" * (9 << 20)
    _error(client.post("/fitb", content=big, headers={"content-type": "application/json"}),
           413, "too_large", "LOOKBOOK_MAX_BODY_BYTES")
    # no Content-Length: cut off at the limit as it streams in
    chunks = (b"x" * 65536 for _ in range(200))
    _error(client.post("/fitb", content=chunks, headers={"content-type": "application/json"}),
           413, "too_large", "LOOKBOOK_MAX_BODY_BYTES")
    r = client.post("/embed", data={"type": "tops"},
                    files={"file": ("x.jpg", b"\xff\xd8\xff" + b"\0" * (6 << 20), "image/jpeg")})
    _error(r, 413, "too_large")


def _raw(client, body: str, path: str = "/fitb"):
    return client.post(path, content=body, headers={"content-type": "application/json"})


def test_nan_infinities_and_huge_numbers(client, ids):
    (first, _), type_ = ids
    head = f'{{"outfit": [{{"item_id": "{first}"}}], "blank_type": "{type_}"'
    cases = [
        (head + ', "k": Infinity}', "k"), (head + ', "k": NaN}', "k"),
        (head + ', "k": 1e308}', "k"), (head + f', "k": {10 ** 30}}}', "k: at most"),
        (head + ', "k": -1}', "k"), (head + ', "diversity": NaN}', "diversity"),
        (head + ', "diversity": -Infinity}', "diversity"),
        (head + ', "k": ' + "9" * 5000 + "}", "number"),
        ("NaN", "body"), ("[" * 100_000 + "]" * 100_000, "body"),
    ]
    for body, needle in cases:
        r = _raw(client, body)
        assert r.status_code == 422, (body[:80], r.text)
        assert needle in r.json()["error"]["message"], (body[:80], r.text)


def test_path_tricks_in_ids(client, ids):
    (first, _), type_ = ids
    for path in ("/items/..%2F..%2Fetc%2Fpasswd", "/items/..%2F..%2Fetc%2Fpasswd/image",
                 "/items/../../etc/passwd", f"/items/{first}%00.jpg/image",
                 "/items/%2e%2e/image"):
        r = client.get(path)
        assert r.status_code == 404 and "error" in r.json(), (path, r.text)
    for bad in ("../../etc/passwd", "/etc/passwd", "\x00", first + "/../" + first):
        r = client.post("/fitb", json={"outfit": [{"item_id": bad}], "blank_type": type_})
        _error(r, 404, "unknown_item")
    auth = {"authorization": f"Bearer {TOKEN}"}
    for target in ("../../etc", "/proc/self", "a\x00b", "/"):
        r = client.post("/admin/reload", headers=auth, json={"artifacts": target})
        _error(r, 409, "reload_refused", "unchanged")
    assert client.get("/readyz").json()["generation"] == 1


def test_limits_on_counts(client, ids):
    (first, second), type_ = ids
    catalog_ids = [i["item_id"] for i in client.app.state.served.catalog.items]
    r = client.post("/compatibility", json={"outfit": [{"item_id": i} for i in catalog_ids[:500]]})
    _error(r, 422, "invalid_outfit", "at most")
    r = client.post("/fitb", json={"outfit": [{"item_id": first}], "blank_type": type_,
                                   "exclude": catalog_ids * 3})
    _error(r, 422, "invalid_outfit", "at most")
    r = client.post("/compatibility", json={"outfit": [{"item_id": first}, {"item_id": first}]})
    _error(r, 422, "invalid_outfit", "more than once")
    many = [("file", ("x.png", b"x", "image/png"))] * 1001
    r = client.post("/embed", data={"type": type_}, files=many)
    assert r.status_code == 400 and "error" in r.json(), r.text


def test_no_answer_was_a_server_error(client):
    text = client.get("/metrics").text
    lines = [x for x in text.splitlines() if x.startswith("lookbook_requests_total{")]
    assert lines and not any('status="5' in x for x in lines), lines
