"""Fixtures of the reliability suite: a served copy of the session bundle, and a small good
dataset folder that the broken-dataset tests damage one way at a time."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from model.sample import SampleConfig, write_sample

# The smallest catalog the sample writer makes: the breakages need a valid folder, not a
# trainable one (every broken folder is refused before training starts).
SMALL_SAMPLE = SampleConfig(n_items=200, n_outfits=100, image_size=32)


@pytest.fixture(scope="session")
def good_folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("good") / "polyvore_outfits"
    write_sample(root, seed=3, config=SMALL_SAMPLE)
    return root


@pytest.fixture(scope="session")
def served_bundle(pipeline, tmp_path_factory) -> Path:
    """A copy of the session bundle (with its model/), which tests may reload or damage."""
    bundle = tmp_path_factory.mktemp("reliability") / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    return bundle

