"""Sample catalogs generated once per test session and shared by the tests that read them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from model.sample import SampleConfig, SampleSummary, write_sample

# Small enough to write in a few seconds, big enough that every subset has distractors.
SMALL_CONFIG = SampleConfig(n_items=400, n_outfits=200)
SMALL_SEED = 11


@dataclass(frozen=True)
class Catalog:
    root: Path
    seed: int
    config: SampleConfig
    summary: SampleSummary
    seconds: float


def _write(root: Path, seed: int, config: SampleConfig) -> Catalog:
    start = time.perf_counter()
    summary = write_sample(root, seed, config)
    return Catalog(root, seed, config, summary, time.perf_counter() - start)


@pytest.fixture(scope="session")
def small_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return _write(tmp_path_factory.mktemp("sample") / "small", SMALL_SEED, SMALL_CONFIG)


@pytest.fixture(scope="session")
def default_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    return _write(tmp_path_factory.mktemp("sample") / "default", 0, SampleConfig())
