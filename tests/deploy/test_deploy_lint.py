"""The linters CI runs on the deployment files: the Compose Specification's JSON schema (as
bundled by check-jsonschema, vendor.compose-spec), hadolint on the Dockerfiles, shellcheck on
the scripts, and `nginx -t` on the load balancer's config where nginx exists. Each is also
shown to reject a broken file, so a pass means the check ran."""

from __future__ import annotations

import shutil

import pytest
from conftest import COMPOSE_FILE, DOCKER, DOCKERFILES, SHELL_SCRIPTS, run, tool

COMPOSE_SCHEMA = ["--builtin-schema", "vendor.compose-spec"]


def test_compose_file_matches_the_compose_specification():
    result = run([tool("check-jsonschema"), *COMPOSE_SCHEMA, str(COMPOSE_FILE)])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("broken, reason", [
    ("services:\n  api:\n    image: x\n    ports:\n      host: 8000\n", "is not of type"),
    ("services:\n  api:\n    image: x\n    volumes_from_host: [a]\n", "volumes_from_host"),
    ("services:\n  api:\n    image: x\n    depends_on:\n      db:\n        condition: done\n",
     "depends_on"),
    # a GPU request in the form `docker run --gpus` takes, not the one Compose takes
    ("services:\n  t:\n    image: x\n    deploy:\n      resources:\n        reservations:\n"
     "          devices:\n            - driver: nvidia\n              gpus: 1\n",
     "'capabilities' is a required property"),
])
def test_the_schema_check_rejects_what_compose_would(tmp_path, broken, reason):
    path = tmp_path / "docker-compose.yml"
    path.write_text(broken)
    result = run([tool("check-jsonschema"), *COMPOSE_SCHEMA, str(path)])
    assert result.returncode == 1
    assert reason in result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_passes_hadolint(name):
    result = run([tool("hadolint"), str(DOCKERFILES[name])])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_careless_dockerfile(tmp_path):
    path = tmp_path / "Dockerfile"
    path.write_text("FROM python:latest\nRUN pip install lookbook\n")
    result = run([tool("hadolint"), str(path)])
    assert result.returncode == 1
    assert "DL3007" in result.stdout  # :latest
    assert "DL3013" in result.stdout  # unpinned pip install


def test_shell_scripts_pass_shellcheck():
    result = run([tool("shellcheck"), *map(str, SHELL_SCRIPTS)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_rejects_an_unquoted_expansion(tmp_path):
    path = tmp_path / "bad.sh"
    path.write_text("#!/bin/sh\nrm -rf $1/*\n")
    result = run([tool("shellcheck"), str(path)])
    assert result.returncode == 1
    assert "SC2086" in result.stdout


@pytest.mark.skipif(shutil.which("nginx") is None, reason="no nginx here (the image has it)")
def test_load_balancer_config_is_valid_nginx(tmp_path):
    result = run(["nginx", "-t", "-p", str(tmp_path), "-c", str(DOCKER / "nginx.conf")])
    assert result.returncode == 0, result.stderr
