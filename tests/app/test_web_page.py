"""The demo page's files as the API serves them (tests/e2e drives the page in a browser)."""

import re

from app.web.page import STATIC


def test_index_is_the_page_with_a_strict_policy(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.text == (STATIC / "index.html").read_text()
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert r.headers["cache-control"] == "no-cache"


def test_every_asset_the_page_names_is_served(client):
    page = client.get("/").text
    assets = re.findall(r'(?:src|href)="(/web/[^"]+)"', page)
    assert {"/web/app.js", "/web/style.css"} <= set(assets)
    for path in assets:
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.content == (STATIC / path.removeprefix("/web/")).read_bytes()


def test_page_calls_only_documented_routes(client):
    """Every API path the script fetches exists in the OpenAPI description."""
    script = (STATIC / "app.js").read_text()
    called = set(re.findall(r'api\(\s*[`"](/[a-z]+)', script))
    assert called == {"/types", "/readyz", "/items", "/compatibility", "/fitb"}
    documented = set(client.get("/openapi.json").json()["paths"])
    assert called <= documented
    assert "/" not in documented  # the page is not part of the API


def test_missing_asset_is_a_json_404(client):
    r = client.get("/web/nothing.js")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"
