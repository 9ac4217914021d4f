"""The demo page in headless Chromium against a running `lookbook serve`: build an outfit
from the catalog and an uploaded photo, and check that what the page shows is what the API
answers for the same outfit."""

from __future__ import annotations

import base64
import json

import pytest

# "browser" first: without one, skip (or fail) before the session trains its tiny model
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("browser")]

OUTFIT_TYPES = ["tops", "bottoms", "shoes"]
BLANK_TYPE, K = "bags", 6
TIMEOUT_MS = 60_000  # an upload runs the CNN in the server: slow on a busy machine
CARD_IDS = "cards => cards.map(c => c.dataset.itemId ?? null)"


@pytest.fixture
def page(browser, server):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = []  # script errors, console errors (CSP refusals among them), failed requests
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.problems = problems
    page.goto(f"{server.url}/")
    page.wait_for_selector("body[data-ready=true]")
    yield page
    context.close()


def _shown_score(page, previous: str | None = None) -> str:
    """The exact score the page shows (data-score), once it differs from `previous`."""
    page.wait_for_function(
        "previous => { const s = document.getElementById('score');"
        " return !document.getElementById('compatibility').hidden"
        " && s.dataset.score && s.dataset.score !== previous; }", arg=previous)
    return page.locator("#score").get_attribute("data-score")


def _wait_for_ids(page, selector: str, ids: list[str]) -> None:
    page.wait_for_function(
        f"ids => JSON.stringify([...document.querySelectorAll('{selector}')].map("
        "c => c.dataset.itemId)) === JSON.stringify(ids)", arg=ids)


def _wait_for_pictures(page, selector: str, n: int) -> None:
    """Until `n` pictures under `selector` have loaded (a missing one becomes a text tile)."""
    page.wait_for_function(
        "([selector, n]) => { const imgs = [...document.querySelectorAll(selector + ' img')];"
        " return imgs.length === n && imgs.every(i => i.complete && i.naturalWidth > 0); }",
        arg=[selector, n])


def test_build_an_outfit_score_it_and_fill_a_blank(page, server, api, screenshot_path):
    from playwright.sync_api import expect

    expect(page).to_have_title("Lookbook: build an outfit")

    # 1. the first catalog item of each type, picked in the catalog panel
    for type_name in OUTFIT_TYPES:
        page.select_option("#browse-type", type_name)
        first = api.get("/items", params={"type": type_name, "limit": 1}).json()["items"][0]
        add = page.locator(f'#browse-items .card[data-item-id="{first["item_id"]}"]').get_by_role(
            "button", name="Add")
        add.click()
        expect(add).to_be_disabled()  # an item cannot go in twice
    ids = page.locator("#outfit-items .card").evaluate_all(CARD_IDS)
    assert len(ids) == 3 and all(ids)
    assert [api.get(f"/items/{i}").json()["type"] for i in ids] == OUTFIT_TYPES

    # 2. the score and weakest pair the page shows are the API's for this outfit
    outfit = [{"item_id": i} for i in ids]
    expected = api.post("/compatibility", json={"outfit": outfit}).json()
    shown = _shown_score(page)
    assert float(shown) == expected["score"]
    expect(page.locator("#score")).to_have_text(f"{expected['score'] * 100:.1f}%")
    weakest = page.locator("#weakest")
    a, b = expected["weakest_pair"]["items"]
    expect(weakest).to_have_attribute("data-items", f"{a},{b}")
    assert weakest.locator(".card").evaluate_all(CARD_IDS) == [ids[a], ids[b]]
    _wait_for_pictures(page, "#weakest", 2)
    expect(page.locator("#outfit-items .card.weak")).to_have_count(2)

    # 3. the catalog's best bags for the blank: the API's ranking, in order, with pictures
    page.select_option("#blank-type", BLANK_TYPE)
    page.fill("#blank-k", str(K))
    page.get_by_role("button", name="Find").click()
    ranking = api.post("/fitb", json={"outfit": outfit, "blank_type": BLANK_TYPE,
                                      "k": K}).json()["ranking"]
    assert len(ranking) == K
    _wait_for_ids(page, "#recommendations .card", [hit["item_id"] for hit in ranking])
    expect(page.locator("#recommendations .hit-score")).to_have_text(
        [f"{hit['score'] * 100:.1f}%" for hit in ranking])
    _wait_for_pictures(page, "#recommendations", K)

    # 4. a photo joins the outfit: the page's new score and recommendations are the API's
    photo = server.images / f"{ranking[-1]['item_id']}.jpg"
    page.set_input_files("#upload-file", str(photo))
    page.select_option("#upload-type", BLANK_TYPE)
    page.get_by_role("button", name="Add photo").click()
    with_upload = float(_shown_score(page, previous=shown))
    assert page.locator("#outfit-items .card").evaluate_all(CARD_IDS) == [*ids, None]
    data_url = "data:image/jpeg;base64," + base64.b64encode(photo.read_bytes()).decode()
    outfit.append({"image_base64": data_url, "type": BLANK_TYPE})
    expected = api.post("/compatibility", json={"outfit": outfit}).json()
    assert with_upload == pytest.approx(expected["score"], abs=1e-6)
    ranking = api.post("/fitb", json={"outfit": outfit, "blank_type": BLANK_TYPE,
                                      "k": K}).json()["ranking"]
    _wait_for_ids(page, "#recommendations .card", [hit["item_id"] for hit in ranking])
    _wait_for_pictures(page, "#outfit-items", 4)

    page.screenshot(path=str(screenshot_path), full_page=True)
    expect(page.locator("#message")).to_be_hidden()
    assert page.problems == [], json.dumps(page.problems, indent=1)


def test_api_errors_reach_the_page(page):
    """A blank asked for an empty outfit is answered by the page; a request the API refuses
    shows the API's message, and nothing breaks."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Find").click()
    expect(page.locator("#recommendations")).to_have_text("Add an item to the outfit first.")
    page.locator("#browse-items .card").first.get_by_role("button", name="Add").click()
    expect(page.locator("#outfit-items .card")).to_have_count(1)
    expect(page.locator("#compatibility")).to_be_hidden()  # one item: nothing to score
    page.locator("#recommendations .card").first.wait_for()  # the blank follows the outfit
    page.fill("#blank-k", "1000")  # above the service's max_k (100)
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#message")).to_have_text("k: at most 100, got 1000")
    # the refused request, which the browser logs too; nothing else may go wrong
    assert [p for p in page.problems if "422" not in p] == []
    assert [p for p in page.problems if p.startswith("422")] == [f"422 {page.url}fitb"]


def test_items_without_pictures_show_their_type(page):
    """A service without LOOKBOOK_IMAGES_DIR answers 404 for every picture: each card then
    names its type instead of showing a broken image."""
    from playwright.sync_api import expect

    page.route("**/items/*/image", lambda route: route.fulfill(status=404))
    page.select_option("#browse-type", "shoes")
    tiles = page.locator("#browse-items .card .noimage")
    expect(tiles).to_have_count(page.locator("#browse-items .card").count())
    expect(tiles.first).to_have_text("shoes")
    expect(page.locator("#browse-items img")).to_have_count(0)
