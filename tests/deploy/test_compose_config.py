"""`docker compose config` on the real file: interpolation, merges, profiles and depends_on
resolved by Compose itself. Needs a Compose binary (the Docker CLI plugin, `docker-compose`,
or LOOKBOOK_COMPOSE_BIN), which CI does not have: there the schema check in
test_deploy_lint.py stands in, and these skip."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml
from conftest import ENV_EXAMPLE, REPO, run


def compose_command() -> list[str] | None:
    if os.environ.get("LOOKBOOK_COMPOSE_BIN"):
        return [os.environ["LOOKBOOK_COMPOSE_BIN"]]
    if shutil.which("docker") and subprocess.run(
            ["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


COMPOSE = compose_command()
pytestmark = pytest.mark.skipif(COMPOSE is None, reason="no Docker Compose binary here")


def services(*args: str) -> set[str]:
    result = run([*COMPOSE, "--project-directory", str(REPO), *args],
                 env={**os.environ, "COMPOSE_PROFILES": ""})
    assert result.returncode == 0, result.stderr
    return set(yaml.safe_load(result.stdout)["services"])


def test_up_alone_is_the_demo():
    assert services("config") == {"demo"}


def test_the_serving_services_do_not_pull_in_the_trainer_or_the_demo():
    assert services("config", "api", "lb") == {"api", "lb"}
    assert services("--profile", "serve", "config") == {"demo", "api", "lb"}


def test_with_the_train_profile_the_api_waits_for_the_trainer():
    assert services("--profile", "train", "config", "api", "lb") == {"api", "lb", "trainer"}
    assert services("config", "trainer") == {"trainer"}


def test_env_example_changes_nothing():
    args = ["--profile", "train", "--profile", "serve", "config"]
    plain = run([*COMPOSE, "--project-directory", str(REPO), *args])
    with_env = run([*COMPOSE, "--project-directory", str(REPO), "--env-file",
                    str(ENV_EXAMPLE), *args])
    assert plain.returncode == 0 and with_env.returncode == 0, plain.stderr + with_env.stderr
    assert plain.stdout == with_env.stdout
