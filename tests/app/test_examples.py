"""The OpenAPI examples name real items of the demo catalog (seed 0), of the right types, so
an analyst can paste them into /docs against `lookbook demo`."""

import json

from app import schemas
from app.core.config import Settings
from app.main import create_app
from model.sample import build_sample


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
    assert demo[schemas.EXAMPLE_SKIRT] == "bottoms"
    assert {demo[i] for i in schemas.EXAMPLE_SHOES} == {"shoes"}
    assert demo[schemas.EXAMPLE_BAG] == "bags"
    assert demo[schemas.EXAMPLE_NECKLACE] == "jewellery"
    spec = create_app(Settings(artifacts=tmp_path)).openapi()
    ids = _example_ids(json.loads(json.dumps(spec)))
    assert ids and ids <= set(demo), sorted(ids - set(demo))
