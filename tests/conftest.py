"""Session fixtures: one tiny sample catalog, one short training run and its bundle, shared
by every test that needs real trained artifacts (built once, in about a minute)."""

from __future__ import annotations

import os

# Before torch loads: busy-waiting OpenMP threads stall on a shared machine (see app/cli.py).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from dataclasses import dataclass
from pathlib import Path

import pytest

from model.config import load_config
from model.sample import SampleConfig, write_sample

TINY_SAMPLE = SampleConfig(n_items=900, n_outfits=300, image_size=64)
TINY_TRAINING = ["train.epochs=3", "model.image_size=64", "train.batch_size=128"]


@dataclass(frozen=True)
class Pipeline:
    data: Path
    run: Path
    bundle: Path
    cache: Path
    split: str = "nondisjoint"


@pytest.fixture(scope="session")
def tiny_catalog(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("catalog") / "data"
    write_sample(root, seed=7, config=TINY_SAMPLE)
    return root


@pytest.fixture(scope="session")
def trained(tiny_catalog, tmp_path_factory) -> Pipeline:
    """A short training run on the tiny catalog; `bundle` is not built yet."""
    from model.train import train

    work = tmp_path_factory.mktemp("pipeline")
    cache = work / "features"  # = default_cache_dir() with LOOKBOOK_CACHE=work
    run = work / "run"
    train(tiny_catalog, "nondisjoint", run, load_config(None, TINY_TRAINING),
          cache_dir=cache, progress=False)
    return Pipeline(data=tiny_catalog, run=run, bundle=work / "bundle", cache=cache)


@pytest.fixture(scope="session")
def pipeline(trained) -> Pipeline:
    from index.build import build_index

    build_index(trained.run, trained.data, trained.bundle, cache_dir=trained.cache)
    return trained
