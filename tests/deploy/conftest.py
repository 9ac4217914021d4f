"""Helpers of the deployment tests: the repository's paths and the linters of the dev extra
(installed as console scripts beside this Python)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERFILES = {"api": DOCKER / "Dockerfile.api", "train": DOCKER / "Dockerfile.train"}
SHELL_SCRIPTS = sorted(DOCKER.glob("*.sh")) + [REPO / ".ci" / "run"]


def tool(name: str) -> str:
    """The path of a console script of the dev extra; fails (not skips) when it is missing:
    `pip install -e ".[dev]"` (docker/install.sh ci) installs every one."""
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `bash docker/install.sh ci`")
    return found


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)


@pytest.fixture(scope="session")
def compose() -> dict:
    """docker-compose.yml as Compose reads it before interpolation (YAML merge keys applied)."""
    return yaml.safe_load(COMPOSE_FILE.read_text())
