"""The API fuzzed from its own OpenAPI schema (bench/fuzz_api.py, a few examples per
operation here; the bench run sends 1,000+ per operation): no 5xx, and every answer has a
documented status, content type and body."""

from __future__ import annotations

import logging

import pytest

from bench.fuzz_api import RealValues, fuzz_app, make_app

EXAMPLES = 20  # per operation and mode: ~20 s here; docs/reliability.md has the big run


@pytest.fixture(scope="module")
def reports(served_bundle, pipeline):
    logging.getLogger("lookbook").setLevel(logging.ERROR)  # each refused reload warns
    try:
        app = make_app(served_bundle, pipeline.data / "images")
        yield fuzz_app(app, RealValues.from_bundle(served_bundle), EXAMPLES, derandomize=True)
    finally:
        logging.getLogger("lookbook").setLevel(logging.NOTSET)


def test_every_operation_is_fuzzed(reports):
    operations = {r.operation for r in reports}
    assert {"POST /fitb", "POST /compatibility", "POST /embed", "GET /items/{item_id}",
            "GET /items/{item_id}/image", "GET /types", "GET /healthz", "GET /readyz",
            "GET /metrics", "POST /admin/reload"} <= operations
    for r in reports:
        if r.mode == "positive":
            assert r.requests == EXAMPLES, r.as_dict()


def test_no_server_error_and_no_answer_off_the_schema(reports):
    bad = [r.as_dict() for r in reports if r.server_errors or r.failures]
    assert not bad, bad


def test_the_fuzzing_reaches_past_validation(reports):
    # real ids are swapped in, so the scoring code runs, not only the 404/422 paths
    by_key = {(r.operation, r.mode): r for r in reports}
    for operation in ("POST /fitb", "POST /compatibility", "POST /embed"):
        assert by_key[(operation, "positive")].statuses[200] > 0, operation
    assert by_key[("POST /compatibility", "negative")].statuses[422] > 0
