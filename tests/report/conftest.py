"""A `lookbook ablate`-shaped folder from the session's trained run (as SAT-seed0) and a
lambda = 0 twin trained with the same config, and the reports made from them once."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Reports:
    data: Path
    cache: Path
    sat: Path  # OUT/SAT-seed0
    ablation: Path  # OUT/lambda0-seed0
    with_ablation: Path  # report folder, the twin found by itself
    alone: Path  # report folder, --no-ablation


@pytest.fixture(scope="session")
def reports(trained, tmp_path_factory) -> Reports:
    from model.report.write import write_report
    from model.run import load_trained
    from model.train import train

    ablate = tmp_path_factory.mktemp("ablate")
    sat = ablate / "SAT-seed0"
    shutil.copytree(trained.run, sat)
    config = load_trained(trained.run).config
    twin = config.model_copy(update={"loss": config.loss.model_copy(update={"sat_lambda": 0.0})})
    train(trained.data, "nondisjoint", ablate / "lambda0-seed0", twin, cache_dir=trained.cache,
          progress=False)
    out = tmp_path_factory.mktemp("reports")
    write_report(sat, trained.data, out / "with", cache_dir=trained.cache)
    write_report(sat, trained.data, out / "alone", auto_ablation=False, cache_dir=trained.cache)
    return Reports(data=trained.data, cache=trained.cache, sat=sat,
                   ablation=ablate / "lambda0-seed0", with_ablation=out / "with",
                   alone=out / "alone")
