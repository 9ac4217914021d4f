"""The template's context: plain dicts and strings built from the gathered numbers, so the
template only lays them out and every choice of what to show is made (and tested) here."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from model.calibration import platt_probability
from model.report import questions
from model.report.config import ReportConfig
from model.report.gather import Gathered, ScoredRun

# (label, key in evaluate_run's output, key of its count); a dict value holds both.
METRIC_ROWS = (
    ("FITB accuracy", "fitb_accuracy", "n_fitb"),
    ("hard FITB (the look-alike baseline's misses)", "hard_fitb", None),
    ("unseen-answer FITB (answer in no training outfit)", "unseen_answer_fitb", None),
    ("look-alike baseline FITB", "lookalike_baseline_fitb_accuracy", "n_fitb"),
    ("compatibility AUC", "compatibility_auc", "n_compatibility"),
    ("retrieval Recall@10", "recall@10", "n_retrieval"),
    ("retrieval Recall@30", "recall@30", "n_retrieval"),
    ("retrieval Recall@50", "recall@50", "n_retrieval"),
)


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _value(metrics: dict, key: str) -> float | None:
    value = metrics.get(key)
    return value.get("accuracy") if isinstance(value, dict) else value


def _count(metrics: dict, key: str, count_key: str | None) -> int | None:
    value = metrics.get(key)
    if isinstance(value, dict):
        return value.get("n")
    return metrics.get(count_key) if count_key else None


def runs_of(g: Gathered) -> list[ScoredRun]:
    return [g.model] + ([g.ablation] if g.ablation is not None else [])


def metrics_table(g: Gathered) -> dict:
    runs = runs_of(g)
    rows = []
    for label, key, count_key in METRIC_ROWS:
        if key not in g.model.metrics:
            continue
        count = _count(g.model.metrics, key, count_key)
        rows.append({"name": label, "key": key, "n": "" if count is None else str(count),
                     "values": [fmt(_value(r.metrics, key)) for r in runs]})
    return {"columns": [r.label for r in runs], "rows": rows}


def by_type_table(g: Gathered) -> dict:
    runs = runs_of(g)
    by_type = [r.metrics["fitb_accuracy_by_type"] for r in runs]
    rows = [{"type": t, "n": str(by_type[0][t]["n"]),
             "values": [fmt(b[t]["accuracy"]) for b in by_type]}
            for t in by_type[0]]
    return {"columns": [r.label for r in runs], "rows": rows}


def by_type_values(g: Gathered) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """Types and, per run, their FITB accuracy, for the bar chart."""
    types = list(g.model.metrics["fitb_accuracy_by_type"])
    return types, [(r.label, [r.metrics["fitb_accuracy_by_type"][t]["accuracy"] for t in types])
                   for r in runs_of(g)]


class Cards:
    """An item as the template shows it: picture, type and title."""

    def __init__(self, g: Gathered, thumbnail: Callable[[str], str]):
        self.items, self.thumbnail = g.data.items, thumbnail

    def __call__(self, item_id: str) -> dict:
        item = self.items[item_id]
        return {"id": item_id, "type": item.semantic_category, "title": item.title or item_id,
                "src": self.thumbnail(item_id)}


def question_view(g: Gathered, q: int, cards: Cards) -> dict:
    """One FITB question: the outfit, each candidate with its distance and its marks."""
    question = g.data.split.fitb[g.subset][q]
    correct = int(g.tasks.fitb_correct[q])
    distances = g.model.fitb_distances[q]
    pick = int(questions.choices(distances[None])[0])
    ablation_pick = (int(questions.choices(g.ablation.fitb_distances[q][None])[0])
                     if g.ablation is not None else None)
    candidates = []
    for k, item_id in enumerate(question.answers):
        marks = []
        if k == correct:
            marks.append("right answer")
        if k == pick:
            marks.append("model's choice")
        if k == ablation_pick:
            marks.append("ablation's choice")
        candidates.append({**cards(item_id), "distance": fmt(float(distances[k])),
                           "right": k == correct, "chosen": k == pick, "marks": marks})
    return {
        "number": q + 1, "set_id": question.set_id,
        "blank_type": g.data.items[question.answers[correct]].semantic_category,
        "outfit": [cards(i) for i in question.question], "candidates": candidates,
        "model_right": pick == correct, "hard": bool(g.lookalike[q] != correct),
        "ablation_right": None if ablation_pick is None else ablation_pick == correct,
    }


def question_sections(g: Gathered, config: ReportConfig) -> dict[str, np.ndarray]:
    """The question indices of each gallery section, by name."""
    correct, distances = g.tasks.fitb_correct, g.model.fitb_distances
    picks = questions.choices(distances)
    sections = {"gallery": questions.gallery_sample(len(correct), config.gallery_size,
                                                    config.seed)}
    if g.ablation is not None:
        sections["right_where_ablation_wrong"] = questions.right_where_ablation_wrong(
            correct, picks, g.ablation.fitb_distances, config.section_size)
    sections["hard_misses"] = questions.hard_misses(
        correct, picks, g.lookalike, questions.miss_margin(distances, correct),
        config.section_size)
    return sections


def section_counts(g: Gathered) -> dict[str, int]:
    """How many questions fall in each section before it is cut to size."""
    correct = g.tasks.fitb_correct
    picks = questions.choices(g.model.fitb_distances)
    counts = {"questions": len(correct), "model_right": int((picks == correct).sum()),
              "hard": int((g.lookalike != correct).sum()),
              "hard_misses": int(((g.lookalike != correct) & (picks != correct)).sum())}
    if g.ablation is not None:
        ablation_picks = questions.choices(g.ablation.fitb_distances)
        counts["right_where_ablation_wrong"] = int(
            ((picks == correct) & (ablation_picks != correct)).sum())
        counts["wrong_where_ablation_right"] = int(
            ((picks != correct) & (ablation_picks == correct)).sum())
    return counts


def least_compatible_views(g: Gathered, config: ReportConfig, cards: Cards) -> list[dict]:
    """The real outfits the model scores least compatible, each with its weakest pair."""
    chosen = questions.least_compatible(g.outfit_distances, config.least_compatible)
    if len(chosen) == 0:
        return []
    pair_distances = g.scorer.outfit_pair_distances(g.outfit_rows[chosen]).numpy()
    views = []
    for k, o in enumerate(chosen):
        outfit = g.outfits[o]
        a, b = questions.weakest_pair(pair_distances[k])
        distance = float(g.outfit_distances[o])
        score = (float(platt_probability(distance, *g.calibration))
                 if g.calibration is not None else None)
        views.append({
            "set_id": outfit.set_id, "title": g.data.outfit_titles.get(outfit.set_id, ""),
            "distance": fmt(distance), "score": fmt(score),
            "items": [{**cards(i), "weak": j in (a, b)} for j, i in enumerate(outfit.item_ids)],
            "weakest": {"a": cards(outfit.item_ids[a]), "b": cards(outfit.item_ids[b]),
                        "distance": fmt(float(pair_distances[k][a, b]))},
        })
    return views
