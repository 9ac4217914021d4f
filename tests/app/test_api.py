import json

import numpy as np
import pytest
import torch

from model.data.polyvore import load_polyvore
from model.evaluate import evaluate_run


@pytest.fixture(scope="module")
def catalog(client):
    return client.app.state.served.catalog


def _ids(*ids):
    return [{"item_id": i} for i in ids]


def test_healthz(client, catalog):
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["n_items"] == len(catalog.items)
    assert body["model_hash"] == catalog.manifest.model_hash


def test_api_answers_every_test_fitb_question_as_evaluate_does(client, pipeline):
    data = load_polyvore(pipeline.data, pipeline.split, subsets=("test",))
    hits = []
    for q in data.split.fitb["test"]:
        r = client.post("/fitb", json={"outfit": _ids(*q.question),
                                       "candidates": _ids(*q.answers)})
        assert r.status_code == 200, r.text
        ranking = r.json()["ranking"]
        assert [x["distance"] for x in ranking] == sorted(x["distance"] for x in ranking)
        # scores are the completed outfit's probability: monotone in the ranking
        scores = [x["score"] for x in ranking]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        hits.append(ranking[0]["item_id"] == q.answers[q.correct])
    offline = evaluate_run(pipeline.run, pipeline.data, pipeline.split, "test",
                           cache_dir=pipeline.cache)
    assert offline["n_fitb"] == len(hits) > 0
    assert np.mean(hits) == pytest.approx(offline["fitb_accuracy"])


def test_compatibility_matches_the_scorer(client, catalog):
    ids = [catalog.items[i]["item_id"] for i in (0, 5, 9)]
    body = client.post("/compatibility", json={"outfit": _ids(*ids)}).json()
    rows = torch.tensor([[0, 5, 9]])
    want = float(catalog.scorer.compatibility_distances(rows)[0])
    assert body["distance"] == pytest.approx(want, rel=1e-5)
    assert 0.0 <= body["score"] <= 1.0
    assert body["score"] == pytest.approx(float(catalog.probability(want)), rel=1e-5)


def test_catalog_retrieval_equals_brute_force(client, catalog):
    outfit_rows = [0, 7, 13]
    outfit_ids = [catalog.items[i]["item_id"] for i in outfit_rows]
    for type_name in catalog.types:
        r = client.post("/fitb", json={"outfit": _ids(*outfit_ids), "blank_type": type_name,
                                       "k": 5})
        assert r.status_code == 200, r.text
        got = [x["item_id"] for x in r.json()["ranking"]]
        rows = [i for i, item in enumerate(catalog.items)
                if item["type"] == type_name and i not in outfit_rows]
        d = catalog.scorer.fitb_distances(torch.tensor([outfit_rows]), torch.tensor([rows]))[0]
        want = [catalog.items[rows[i]]["item_id"] for i in torch.argsort(d)[:5].tolist()]
        assert got == want
        assert all(x["type"] == type_name for x in r.json()["ranking"])


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"outfit": []}, 422, "at least 1"),
        ({"outfit": _ids("nope"), "blank_type": "shoes"}, 404, "'nope'"),
        ({"outfit": "x"}, 422, "outfit"),
        ({"outfit": _ids("A")}, 422, "blank_type"),
        ({"outfit": _ids("A"), "blank_type": "capes"}, 422, "capes"),
        ({"outfit": _ids("A"), "blank_type": "shoes", "k": 101}, 422, "at most 100"),
        ({"outfit": _ids("A"), "blank_type": "shoes", "k": 0}, 422, "k"),
        ({"outfit": _ids("A", "A"), "blank_type": "shoes"}, 422, "more than once"),
        ({"outfit": _ids("A"), "candidates": []}, 422, "at least one"),
        ({"outfit": _ids("A"), "candidates": _ids("A")}, 422, "already in the outfit"),
        ({"outfit": _ids("A"), "colour": "red", "blank_type": "shoes"}, 422, "colour"),
    ],
)
def test_fitb_errors_say_what_to_fix(client, catalog, body, status, needle):
    real = catalog.items[0]["item_id"]
    payload = json.loads(json.dumps(body).replace('"A"', json.dumps(real)))
    r = client.post("/fitb", json=payload)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert needle in error["message"] and error["code"]


def test_compatibility_errors(client, catalog):
    real = catalog.items[0]["item_id"]
    r = client.post("/compatibility", json={"outfit": _ids(real)})
    assert r.status_code == 422 and "at least 2" in r.json()["error"]["message"]
    r = client.post("/compatibility", content=b"{not json", headers={"content-type":
                                                                      "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post("/compatibility", json={"outfit": _ids(real, "missing-id")})
    assert r.status_code == 404 and "missing-id" in r.json()["error"]["message"]
    too_many = [catalog.items[i]["item_id"] for i in range(20)]
    r = client.post("/compatibility", json={"outfit": _ids(*too_many)})
    assert r.status_code == 422 and "at most 19" in r.json()["error"]["message"]


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert {"/fitb", "/compatibility", "/healthz"} <= set(spec["paths"])
