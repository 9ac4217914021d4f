"""Everything a report shows, as numbers: the metrics of `lookbook evaluate`, and the
scorer's distances for every FITB question and every real outfit of the subset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from model.ablation import VARIANTS
from model.calibration import fit_platt
from model.catalog import catalog_features, check_types
from model.data.polyvore import load_polyvore
from model.data.types import Outfit, PolyvoreData
from model.evaluate import TaskArrays, evaluate_run, lookalike_choices, task_arrays
from model.report.curves import Curves, read_curves
from model.run import BEST, RunError, TrainedModel, load_trained
from model.scoring import OutfitScorer, pad_index_lists


class ReportError(ValueError):
    """Inputs a report cannot be made from; the message says what to pass instead."""


@dataclass(frozen=True)
class ScoredRun:
    """One run scored on the report's subset."""

    run_dir: Path
    trained: TrainedModel
    metrics: dict  # exactly what `lookbook evaluate` prints for this run and subset
    curves: Curves
    fitb_distances: np.ndarray  # (Q, C) the scorer's sum of pair distances per candidate

    @property
    def sat_lambda(self) -> float:
        return self.trained.config.loss.sat_lambda

    @property
    def label(self) -> str:
        return f"{self.run_dir.name} (λ = {self.sat_lambda:g})"


@dataclass(frozen=True)
class Gathered:
    data: PolyvoreData
    split: str
    subset: str
    tasks: TaskArrays
    item_ids: list[str]  # catalog row -> item id
    lookalike: np.ndarray  # (Q,) the look-alike baseline's pick; it misses the hard questions
    model: ScoredRun
    ablation: ScoredRun | None
    outfits: list[Outfit]  # real outfits of the subset with two items or more
    outfit_rows: torch.Tensor  # (O, L) padded catalog rows of `outfits`
    outfit_distances: np.ndarray  # (O,) mean pair distance, the compatibility distance
    calibration: tuple[float, float] | None  # Platt (slope, intercept) on the valid file
    scorer: OutfitScorer  # the run's, for the pair distances of the outfits shown


def _folder(variant: str) -> str:
    return variant.replace("=", "")  # how run_ablation names a variant's folder


def find_ablation(run_dir: Path) -> Path | None:
    """The lambda = 0 twin of a `lookbook ablate` run: ablate writes OUT/SAT-seed<k> beside
    OUT/lambda0-seed<k> (model/ablation.py), so the seed names the pair."""
    (model_name, _), (ablation_name, _) = VARIANTS
    match = re.fullmatch(rf"{re.escape(_folder(model_name))}-seed(\d+)", Path(run_dir).name)
    if match is None:
        return None
    twin = Path(run_dir).parent / f"{_folder(ablation_name)}-seed{match.group(1)}"
    return twin if (twin / BEST).is_file() else None


def _check_run(run_dir: Path, what: str) -> TrainedModel:
    if not run_dir.is_dir():
        raise RunError(f"{what} folder {run_dir} does not exist")
    if not (run_dir / BEST).is_file():
        raise RunError(f"{run_dir} has no {BEST}: train first (lookbook train --out {run_dir})")
    return load_trained(run_dir)


def _check_data(data_root: Path, split: str) -> None:
    if not data_root.is_dir():
        raise ReportError(f"data folder {data_root} does not exist: point --data at the "
                          "Polyvore Outfits folder the run was trained on")
    if not (data_root / split).is_dir():
        raise ReportError(f"{data_root} has no {split}/ folder: the run was trained on the "
                          f"{split} split of another dataset, or --data points elsewhere")


def _resolve_split(trained: TrainedModel, run_dir: Path, split: str | None) -> str:
    if split is None or split == trained.data_split:
        return trained.data_split
    # the two splits cut the same outfits differently: the other split's test outfits hold
    # items this run trained on, and a report of them would flatter it
    raise ReportError(f"{run_dir} was trained on the {trained.data_split} split; a report on "
                      f"{split} would score outfits it trained on: use --split "
                      f"{trained.data_split} (the default)")


def _load_ablation(path: Path, trained: TrainedModel, split: str) -> TrainedModel:
    ablation = _check_run(path, "ablation run")
    if ablation.data_split != split or ablation.types != trained.types:
        raise ReportError(f"ablation run {path} was trained on the {ablation.data_split} split "
                          f"with types {list(ablation.types)}; the run on {split} with "
                          f"{list(trained.types)}: compare runs of one dataset and split")
    return ablation


def _score_run(run_dir: Path, trained: TrainedModel, data: PolyvoreData, data_root: Path,
               subset: str, tasks: TaskArrays, cache_dir: Path | None, progress: bool):
    """The run's metrics (evaluate_run itself, so the report's table is `lookbook evaluate`'s
    output) and its scorer over the catalog, for the pictures."""
    # the features the run's backbone gives (fine-tuned or not), as evaluate_run reads them
    catalog = catalog_features(data, trained.config, cache_dir, progress,
                               trained.backbone_weights)
    scorer = trained.scorer(trained.embed(catalog.features), catalog.item_types)
    scored = ScoredRun(
        run_dir=run_dir, trained=trained,
        metrics=evaluate_run(run_dir, data_root, data.split.name, subset, cache_dir=cache_dir),
        curves=read_curves(run_dir),
        fitb_distances=scorer.fitb_distances(tasks.fitb_outfits, tasks.fitb_candidates).numpy(),
    )
    return scored, scorer, catalog


def _calibration(scorer, data: PolyvoreData, item_index) -> tuple[float, float] | None:
    """Platt scaling on the validation compatibility file, as the API's bundle fits it
    (index/build.py), so a report's outfit score reads like the API's."""
    valid = task_arrays(data, "valid", item_index)
    if len(np.unique(valid.compat_labels)) < 2:
        return None
    return fit_platt(scorer.compatibility_distances(valid.compat_outfits).numpy(),
                     valid.compat_labels)


def gather(run_dir: Path, data_root: Path, *, split: str | None = None, subset: str = "test",
           ablation_dir: Path | None = None, auto_ablation: bool = True,
           cache_dir: Path | None = None, progress: bool = False) -> Gathered:
    """Score the run (and its ablation: `ablation_dir`, or the twin `lookbook ablate` wrote
    beside it when `auto_ablation`) on `subset` of the split it was trained on."""
    run_dir, data_root = Path(run_dir), Path(data_root)
    trained = _check_run(run_dir, "run")
    split = _resolve_split(trained, run_dir, split)
    _check_data(data_root, split)
    if ablation_dir is None and auto_ablation:
        ablation_dir = find_ablation(run_dir)
    ablation_trained = (_load_ablation(Path(ablation_dir), trained, split)
                        if ablation_dir is not None else None)

    data = load_polyvore(data_root, split,
                         subsets=tuple(dict.fromkeys(("train", "valid", subset))))
    check_types(data, trained.types)
    # row i is the i-th item id in sorted order for every run (model/catalog.py), so one
    # task array serves the run and its ablation
    tasks = task_arrays(data, subset, {i: k for k, i in enumerate(sorted(data.items))})
    model, scorer, catalog = _score_run(run_dir, trained, data, data_root, subset, tasks,
                                        cache_dir, progress)
    ablation = None
    if ablation_trained is not None:
        ablation, _, _ = _score_run(Path(ablation_dir), ablation_trained, data, data_root,
                                    subset, tasks, cache_dir, progress)

    # hard questions are those a look-alike baseline misses in the frozen backbone's feature
    # space (evaluate_run's definition), whatever backbone the run itself fine-tuned
    frozen = catalog_features(data, trained.config, cache_dir, progress)
    outfits = [o for o in data.split.outfits.get(subset, []) if len(o.item_ids) >= 2]
    rows = pad_index_lists([[catalog.item_index[i] for i in o.item_ids] for o in outfits])
    return Gathered(
        data=data, split=split, subset=subset, tasks=tasks, item_ids=catalog.item_ids,
        lookalike=lookalike_choices(frozen.features, tasks), model=model, ablation=ablation,
        outfits=outfits, outfit_rows=rows,
        outfit_distances=(scorer.compatibility_distances(rows).numpy() if outfits
                          else np.zeros(0)),
        calibration=_calibration(scorer, data, catalog.item_index), scorer=scorer,
    )
