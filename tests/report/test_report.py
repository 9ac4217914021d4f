import base64
import io
import json
import math
import re
from html import unescape

import numpy as np
import pytest
from PIL import Image

from model.catalog import catalog_features
from model.data.polyvore import load_polyvore
from model.evaluate import evaluate_run, lookalike_choices, task_arrays
from model.report.config import ReportConfig
from model.report.gather import find_ablation
from model.report.write import write_report
from model.run import load_trained
from model.scoring import pad_index_lists


def _no_nan(value):
    """JSON-comparable: NaN (an empty subset's accuracy) equals NaN here."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def _record(folder):
    return json.loads((folder / "report.json").read_text())


def _html(folder):
    return (folder / "index.html").read_text()


class Scored:
    """The run scored independently of the report: load, embed, score, as evaluate does."""

    def __init__(self, run, data, cache):
        trained = load_trained(run)
        self.data = load_polyvore(data, "nondisjoint")
        catalog = catalog_features(self.data, trained.config, cache)
        self.scorer = trained.scorer(trained.embed(catalog.features), catalog.item_types)
        self.tasks = task_arrays(self.data, "test", catalog.item_index)
        self.distances = self.scorer.fitb_distances(self.tasks.fitb_outfits,
                                                    self.tasks.fitb_candidates).numpy()
        self.picks = self.distances.argmin(axis=1)
        self.lookalike = lookalike_choices(catalog.features, self.tasks)
        self.item_index = catalog.item_index


@pytest.fixture(scope="module")
def sat(reports):
    return Scored(reports.sat, reports.data, reports.cache)


@pytest.fixture(scope="module")
def ablation(reports):
    return Scored(reports.ablation, reports.data, reports.cache)


def _questions(html):
    """question number -> [(candidate marks)] in page order."""
    out = {}
    for block in re.findall(r'<article class="question[^"]*" id="q(\d+)">(.*?)</article>', html,
                            re.S):
        number, body = block
        candidates = re.split(r'<div class="candidate(?: [^"]*)?">', body)[1:]
        out.setdefault(int(number), [
            [unescape(m) for m in re.findall(r'<span class="mark">([^<]*)</span>', c)]
            for c in candidates])
    return out


def test_the_ablate_twin_is_found_beside_the_run(reports, tmp_path):
    assert find_ablation(reports.sat) == reports.ablation
    assert find_ablation(reports.ablation) is None  # the twin of lambda=0 is not looked for
    assert find_ablation(tmp_path) is None
    assert _record(reports.with_ablation)["ablation"] == str(reports.ablation)
    assert _record(reports.alone)["ablation"] is None


def test_the_page_embeds_the_plots_and_writes_them_beside_it(reports):
    html = _html(reports.with_ablation)
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    names = sorted(p.name for p in (reports.with_ablation / "plots").iterdir())
    assert names == ["fitb_by_type.png", "loss.png", "valid_auc.png", "valid_fitb.png"]
    assert len(embedded) == 4
    files = {(reports.with_ablation / "plots" / n).read_bytes() for n in names}
    for payload in embedded:
        png = base64.b64decode(payload)
        assert png in files  # the same picture as the file of that name
        assert Image.open(io.BytesIO(png)).format == "PNG"
    # every item picture is embedded too: the page needs no other file
    assert 'src="data:image/jpeg;base64,' in html
    assert re.search(r'src="(?!data:)', html) is None


def test_the_metrics_are_those_of_lookbook_evaluate(reports):
    record = _record(reports.with_ablation)
    for key, run in (("model", reports.sat), ("ablation", reports.ablation)):
        expected = json.loads(json.dumps(evaluate_run(run, reports.data, "nondisjoint", "test",
                                                      cache_dir=reports.cache)))
        assert _no_nan(record["metrics"][key]) == _no_nan(expected)
    html = _html(reports.with_ablation)
    row = re.search(r'<tr data-key="fitb_accuracy"><td>[^<]*</td><td>([^<]*)</td>'
                    r'<td>([^<]*)</td><td>(\d+)</td>', html)
    model, twin = record["metrics"]["model"], record["metrics"]["ablation"]
    assert row.groups() == (f"{model['fitb_accuracy']:.3f}", f"{twin['fitb_accuracy']:.3f}",
                            str(model["n_fitb"]))
    for t, share in model["fitb_accuracy_by_type"].items():
        assert re.search(rf"<tr><td>{t}</td><td>{share['accuracy']:.3f}</td>", html)
    # alone, the table has the run's column only
    alone = _html(reports.alone)
    assert re.search(r'<tr data-key="fitb_accuracy"><td>[^<]*</td><td>[^<]*</td><td>\d+</td>',
                     alone)


def test_the_gallery_marks_the_scorers_choice_and_the_right_answer(reports, sat, ablation):
    record = _record(reports.with_ablation)
    shown = _questions(_html(reports.with_ablation))
    gallery = record["sections"]["gallery"]
    assert len(gallery) == ReportConfig().gallery_size
    for q in {q for idx in record["sections"].values() for q in idx}:
        marks = shown[q + 1]
        assert len(marks) == sat.tasks.fitb_candidates.shape[1]
        chosen = [k for k, m in enumerate(marks) if "model's choice" in m]
        right = [k for k, m in enumerate(marks) if "right answer" in m]
        twin = [k for k, m in enumerate(marks) if "ablation's choice" in m]
        assert chosen == [int(sat.picks[q])]
        assert right == [int(sat.tasks.fitb_correct[q])]
        assert twin == [int(ablation.picks[q])]


def test_sections_hold_the_questions_they_name(reports, sat, ablation):
    record = _record(reports.with_ablation)
    correct = sat.tasks.fitb_correct
    better = (sat.picks == correct) & (ablation.picks != correct)
    hard_missed = (sat.lookalike != correct) & (sat.picks != correct)
    section = record["sections"]["right_where_ablation_wrong"]
    assert record["counts"]["right_where_ablation_wrong"] == int(better.sum())
    assert record["counts"]["wrong_where_ablation_right"] == int(
        ((sat.picks != correct) & (ablation.picks == correct)).sum())
    assert len(section) == min(int(better.sum()), ReportConfig().section_size)
    assert all(better[q] for q in section)
    # the report's hard questions are those `lookbook evaluate` counts as hard FITB
    assert record["counts"]["hard"] == record["metrics"]["model"]["hard_fitb"]["n"]
    misses = record["sections"]["hard_misses"]
    assert record["counts"]["hard_misses"] == int(hard_missed.sum())
    assert len(misses) == min(int(hard_missed.sum()), ReportConfig().section_size)
    assert all(hard_missed[q] for q in misses)
    margins = [sat.distances[q, correct[q]] - sat.distances[q].min() for q in misses]
    assert margins == sorted(margins, reverse=True)  # the most confidently wrong first
    # without the ablation there is no section comparing with it
    assert "right_where_ablation_wrong" not in _record(reports.alone)["sections"]
    assert 'id="right-where-ablation-wrong"' not in _html(reports.alone)


def test_least_compatible_outfits_are_the_scorers_worst(reports, sat):
    outfits = [o for o in sat.data.split.outfits["test"] if len(o.item_ids) >= 2]
    rows = pad_index_lists([[sat.item_index[i] for i in o.item_ids] for o in outfits])
    distances = sat.scorer.compatibility_distances(rows).numpy()
    worst = np.argsort(-distances, kind="stable")[:ReportConfig().least_compatible]
    assert _record(reports.with_ablation)["least_compatible"] == [outfits[k].set_id
                                                                  for k in worst]
    # each shows its weakest pair: the pair of highest distance, outlined
    first = outfits[worst[0]]
    pairs = sat.scorer.outfit_pair_distances(rows[worst[:1]]).numpy()[0]
    a, b = np.unravel_index(np.nanargmax(pairs), pairs.shape)
    html = _html(reports.with_ablation)
    card = html[html.index(f"<strong>Outfit {first.set_id}</strong>"):]
    card = card[:card.index('<div class="outfit-card">') if '<div class="outfit-card">' in card
                else len(card)]
    weak = re.findall(r'<figure class="item weak">.*?\((\d+)\)"', card, re.S)
    assert weak == [first.item_ids[a], first.item_ids[b]]


def test_a_new_report_replaces_the_old_and_a_failed_one_keeps_it(reports, tmp_path):
    out = tmp_path / "report"
    config = ReportConfig(gallery_size=2, section_size=1, least_compatible=1, thumbnail_px=32)
    write_report(reports.sat, reports.data, out, auto_ablation=False, config=config,
                 cache_dir=reports.cache)
    first = (out / "report.json").read_text()
    assert len(json.loads(first)["sections"]["gallery"]) == 2
    with pytest.raises(ValueError, match="trained on the nondisjoint split"):
        write_report(reports.sat, reports.data, out, split="disjoint", cache_dir=reports.cache)
    assert (out / "report.json").read_text() == first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
