"""Offline evaluation: FITB accuracy and compatibility AUC per docs/method.md, vectorised."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from model.data.types import PolyvoreData
from model.metrics import compatibility_auc, fitb_accuracy
from model.scoring import OutfitScorer, pad_index_lists


@dataclass(frozen=True)
class TaskArrays:
    """A subset's task files as padded catalog indices (-1 = padding)."""

    fitb_outfits: torch.Tensor  # (Q, L)
    fitb_candidates: torch.Tensor  # (Q, C)
    fitb_correct: np.ndarray  # (Q,)
    fitb_blank_types: np.ndarray  # (Q,) type index of the right answer
    compat_outfits: torch.Tensor  # (O, L)
    compat_labels: np.ndarray  # (O,)


def task_arrays(data: PolyvoreData, subset: str, item_index: Mapping[str, int]) -> TaskArrays:
    questions = data.split.fitb.get(subset, [])
    n_candidates = max((len(q.answers) for q in questions), default=4)
    if any(len(q.answers) != n_candidates for q in questions):
        raise ValueError(f"fill_in_blank_{subset}.json: questions have different answer counts")
    compat = data.split.compatibility.get(subset, [])
    types = {t: i for i, t in enumerate(data.types)}
    return TaskArrays(
        fitb_outfits=pad_index_lists([[item_index[i] for i in q.question] for q in questions]),
        fitb_candidates=pad_index_lists(
            [[item_index[i] for i in q.answers] for q in questions], n_candidates
        ),
        fitb_correct=np.array([q.correct for q in questions], dtype=np.int64),
        fitb_blank_types=np.array(
            [types[data.items[q.answers[q.correct]].semantic_category] for q in questions],
            dtype=np.int64,
        ),
        compat_outfits=pad_index_lists([[item_index[i] for i in c.item_ids] for c in compat]),
        compat_labels=np.array([c.label for c in compat], dtype=np.int64),
    )


def evaluate_tasks(scorer: OutfitScorer, tasks: TaskArrays) -> dict[str, float | int]:
    fitb = scorer.fitb_distances(tasks.fitb_outfits, tasks.fitb_candidates).cpu().numpy()
    compat = scorer.compatibility_distances(tasks.compat_outfits).cpu().numpy()
    return {
        "fitb_accuracy": fitb_accuracy(fitb, tasks.fitb_correct),
        "compatibility_auc": compatibility_auc(tasks.compat_labels, compat),
        "n_fitb": len(tasks.fitb_correct),
        "n_compatibility": len(tasks.compat_labels),
    }


def fitb_accuracy_by_type(
    scorer: OutfitScorer, tasks: TaskArrays, type_names: tuple[str, ...]
) -> dict[str, float]:
    fitb = scorer.fitb_distances(tasks.fitb_outfits, tasks.fitb_candidates).cpu().numpy()
    hits = fitb.argmin(axis=1) == tasks.fitb_correct
    return {
        type_names[t]: float(hits[tasks.fitb_blank_types == t].mean())
        for t in np.unique(tasks.fitb_blank_types)
    }


def evaluate_run(
    run_dir, data_root, split: str, subset: str, *, cache_dir=None, progress: bool = False
) -> dict:
    """`lookbook evaluate`: the run's best checkpoint on one subset of one split."""
    from pathlib import Path

    from model.catalog import catalog_features, check_types
    from model.data.polyvore import load_polyvore
    from model.run import load_trained

    trained = load_trained(Path(run_dir))
    data = load_polyvore(Path(data_root), split, subsets=(subset,))
    check_types(data, trained.types)
    catalog = catalog_features(data, trained.config, cache_dir, progress)
    scorer = trained.scorer(trained.embed(catalog.features), catalog.item_types)
    tasks = task_arrays(data, subset, catalog.item_index)
    result = evaluate_tasks(scorer, tasks)
    return {
        **result,
        "split": split,
        "subset": subset,
        "fitb_accuracy_by_type": fitb_accuracy_by_type(scorer, tasks, trained.types),
        "distance": trained.config.model.distance,
        "sat_lambda": trained.config.loss.sat_lambda,
        "model_hash": trained.model_hash(),
    }
