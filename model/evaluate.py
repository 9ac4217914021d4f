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


def lookalike_choices(features: torch.Tensor, tasks: TaskArrays) -> np.ndarray:
    """The candidate a look-alike baseline picks: nearest to the outfit, on average, in the
    frozen backbone's feature space (cosine). Questions it gets wrong are the hard ones."""
    unit = torch.nn.functional.normalize(features, dim=-1)
    outfits, candidates = tasks.fitb_outfits, tasks.fitb_candidates
    valid = (outfits >= 0).float()
    sims = torch.einsum("qlf,qcf->qlc", unit[outfits.clamp_min(0)], unit[candidates])
    mean_sim = (sims * valid[:, :, None]).sum(1) / valid.sum(1, keepdim=True).clamp_min(1)
    return mean_sim.argmax(dim=1).numpy()


def fitb_report(
    scorer: OutfitScorer,
    tasks: TaskArrays,
    type_names: tuple[str, ...],
    *,
    lookalike: np.ndarray | None = None,
    unseen: np.ndarray | None = None,
) -> dict:
    """FITB accuracy overall, by the blank's type, on the hard questions (where `lookalike`
    picks wrong) and on those whose answer never appears in a training outfit (`unseen`)."""
    distances = scorer.fitb_distances(tasks.fitb_outfits, tasks.fitb_candidates).cpu().numpy()
    hits = distances.argmin(axis=1) == tasks.fitb_correct if len(distances) else np.zeros(0, bool)

    def share(mask: np.ndarray) -> dict:
        return {"accuracy": float(hits[mask].mean()) if mask.any() else float("nan"),
                "n": int(mask.sum())}

    report = {
        "fitb_accuracy_by_type": {
            type_names[t]: share(tasks.fitb_blank_types == t)
            for t in np.unique(tasks.fitb_blank_types)
        }
    }
    if lookalike is not None:
        report["hard_fitb"] = share(lookalike != tasks.fitb_correct)
        report["lookalike_baseline_fitb_accuracy"] = float(
            (lookalike == tasks.fitb_correct).mean()) if len(hits) else float("nan")
    if unseen is not None:
        report["unseen_answer_fitb"] = share(unseen)
    return report


def unseen_answers(data: PolyvoreData, subset: str) -> np.ndarray:
    """True for the questions whose right answer is in no training outfit: in a nondisjoint
    split the rest can be answered partly from memory."""
    seen = {i for o in data.split.outfits.get("train", []) for i in o.item_ids}
    return np.array([q.answers[q.correct] not in seen for q in data.split.fitb.get(subset, [])],
                    dtype=bool)


def evaluate_run(
    run_dir, data_root, split: str | None, subset: str, *, cache_dir=None,
    progress: bool = False,
) -> dict:
    """`lookbook evaluate`: the run's best checkpoint on one subset of its split (`split`
    None: the run's own; another split is refused: its test outfits hold items the run
    trained on)."""
    from pathlib import Path

    from model.catalog import catalog_features, check_types
    from model.data.polyvore import load_polyvore
    from model.retrieval import retrieval_report
    from model.run import load_trained

    trained = load_trained(Path(run_dir))
    split = split or trained.data_split
    if split != trained.data_split:
        raise ValueError(f"the run was trained on the {trained.data_split} split; scoring it on "
                         f"{split} would count items it trained on: use --split "
                         f"{trained.data_split} or train on {split}")
    # train outfits too: they say which answers the model may have seen
    data = load_polyvore(Path(data_root), split, subsets=tuple(dict.fromkeys(("train", subset))))
    check_types(data, trained.types)
    catalog = catalog_features(data, trained.config, cache_dir, progress,
                               trained.backbone_weights)
    scorer = trained.scorer(trained.embed(catalog.features), catalog.item_types)
    tasks = task_arrays(data, subset, catalog.item_index)
    # hard questions are defined in the frozen backbone's feature space, not the tuned one's
    frozen = catalog
    if trained.backbone_sha256() is not None:
        frozen = catalog_features(data, trained.config, cache_dir, progress)
    return {
        **evaluate_tasks(scorer, tasks),
        "split": split,
        "subset": subset,
        **fitb_report(scorer, tasks, trained.types,
                      lookalike=lookalike_choices(frozen.features, tasks),
                      unseen=unseen_answers(data, subset)),
        **retrieval_report(scorer, data.split.outfits.get(subset, []), catalog.item_index),
        "distance": trained.config.model.distance,
        "sat_lambda": trained.config.loss.sat_lambda,
        "model_hash": trained.model_hash(),
    }
