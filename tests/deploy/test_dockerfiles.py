"""What the issue asks of the two Dockerfiles, read from the files themselves (parsed with
dockerfile-parse): multi-stage, dependencies installed in a layer before the code is copied,
every install through docker/install.sh, a non-root user, the API's HEALTHCHECK, and a build
context (.dockerignore) that holds everything they copy."""

from __future__ import annotations

import io
import os
import shlex

import pytest
from conftest import DOCKER, DOCKERFILES, REPO
from dockerfile_parse import DockerfileParser

CODE = ("app", "model", "index")


def parse(path) -> list[dict]:
    # a file object: given a path, the parser takes any name but "Dockerfile" for a folder
    return DockerfileParser(fileobj=io.BytesIO(path.read_bytes())).structure


def stages(path) -> list[dict]:
    """[{"name", "base", "steps": [(instruction, value), ...]}] in file order."""
    out: list[dict] = []
    for step in parse(path):
        if step["instruction"] == "FROM":
            words = step["value"].split()
            out.append({"name": words[2] if len(words) > 2 else None, "base": words[0],
                        "steps": []})
        elif out:
            out[-1]["steps"].append((step["instruction"], step["value"]))
    return out


def global_args(path) -> dict[str, str]:
    """ARGs declared before the first FROM, with their defaults."""
    found = {}
    for step in parse(path):
        if step["instruction"] == "FROM":
            break
        if step["instruction"] == "ARG":
            name, _, default = step["value"].partition("=")
            found[name] = default
    return found


def copies_code(value: str) -> bool:
    return any(word.rstrip("/") in CODE for word in shlex.split(value)[:-1])


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_multi_stage_with_dependencies_before_the_code(name):
    found = stages(DOCKERFILES[name])
    names = [stage["name"] for stage in found]
    assert len(found) >= 3 and names[-1] == "runtime", names
    deps = found[names.index("deps")]
    # the dependency stage installs the requirements and never sees the code
    assert any(i == "RUN" and f"install.sh {name} deps" in v for i, v in deps["steps"])
    assert not any(i == "COPY" and copies_code(v) for i, v in deps["steps"])
    # the code arrives in a later stage, built on the dependency one
    wheel = found[names.index("wheel")]
    assert wheel["base"] == "deps"
    assert any(i == "COPY" and copies_code(v) for i, v in wheel["steps"])
    # and in the image, the dependency layer comes first, the project's wheel on top
    runtime = [(i, v) for i, v in found[-1]["steps"] if i in ("COPY", "RUN")]
    assert runtime[0] == ("COPY", "--from=deps /opt/venv /opt/venv")
    assert runtime[1][1].startswith("--from=wheel ")
    first_run = next(v for i, v in runtime if i == "RUN")
    assert f"install.sh {name} project /tmp/wheels" in first_run


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_every_install_goes_through_the_ci_script(name):
    runs = [v for stage in stages(DOCKERFILES[name]) for i, v in stage["steps"] if i == "RUN"]
    for value in runs:
        assert "pip install" not in value, value  # install.sh is the one place
    calls = [v for v in runs if "install.sh" in v]
    assert {shlex.split(v.split("install.sh", 1)[1])[0] for v in calls} == {name}


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_runs_as_a_non_root_user(name):
    final = stages(DOCKERFILES[name])[-1]["steps"]
    users = [v for i, v in final if i == "USER"]
    assert users, "the final stage sets no USER: the container would run as root"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric: checkable by runAsNonRoot
    # nothing runs as root after the switch
    last_user = max(n for n, (i, _) in enumerate(final) if i == "USER")
    assert not any(i == "RUN" for i, _ in final[last_user:])


def test_api_image_checks_healthz_and_serves_through_the_waiting_entry_point():
    steps = stages(DOCKERFILES["api"])[-1]["steps"]
    final = dict(steps)  # the last of each kind, the one in force
    health = final["HEALTHCHECK"]
    assert "CMD" in health and "/opt/lookbook/healthcheck.py" in health
    copied = [shlex.split(v) for i, v in steps if i == "COPY" and v.endswith("/opt/lookbook/")]
    assert any("docker/healthcheck.py" in words and "docker/api-entrypoint.sh" in words
               for words in copied)
    assert '"/opt/lookbook/api-entrypoint.sh"' in final["ENTRYPOINT"]
    assert final["CMD"] == '["serve"]'
    assert "8000" in final["EXPOSE"]


def test_api_image_is_cpu_only_and_train_image_has_cuda():
    api, train = global_args(DOCKERFILES["api"]), global_args(DOCKERFILES["train"])
    assert api["PYTHON_IMAGE"].startswith("python:3.11-slim")
    assert train["CUDA_IMAGE"].startswith("nvidia/cuda:")
    deps_args = [v for i, v in stages(DOCKERFILES["api"])[1]["steps"] if i == "ARG"]
    assert any(v.startswith("TORCH_INDEX_URL=") and v.endswith("/whl/cpu") for v in deps_args)


def dockerignore_allows() -> set[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    assert "*" in lines, ".dockerignore should exclude everything it does not name"
    return {line[1:].rstrip("/") for line in lines if line.startswith("!")}


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_everything_copied_exists_and_is_in_the_build_context(name):
    allowed = dockerignore_allows()
    for stage in stages(DOCKERFILES[name]):
        for instruction, value in stage["steps"]:
            if instruction != "COPY" or value.startswith("--from="):
                continue
            for source in shlex.split(value)[:-1]:
                assert (REPO / source).exists(), f"{name}: COPY {source}: no such file"
                assert source.split("/")[0].rstrip("/") in allowed, \
                    f"{name}: COPY {source} is excluded by .dockerignore"


@pytest.mark.parametrize("script", ["api-entrypoint.sh", "train.sh", "install.sh"])
def test_scripts_run_by_the_images_are_executable(script):
    assert os.access(DOCKER / script, os.X_OK)
