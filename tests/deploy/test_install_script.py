"""docker/install.sh and docker/requirements.py, the install path shared by CI and both images.
CI itself installs through `install.sh ci` (.ci/run); these tests run the images' other
steps for real: the requirement lists of each target, and the wheel build and install the
images' last two stages perform."""

from __future__ import annotations

import os
import sys
import tomllib
import zipfile

from conftest import DOCKER, REPO, run
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

INSTALL = DOCKER / "install.sh"


def requirement_names(*args: str) -> list[str]:
    result = run([sys.executable, str(DOCKER / "requirements.py"), *args])
    assert result.returncode == 0, result.stderr
    return [canonicalize_name(Requirement(line).name) for line in result.stdout.splitlines()]


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def names(lines) -> list[str]:
    return [canonicalize_name(Requirement(line).name) for line in lines]


def test_requirement_lists_follow_pyproject():
    project = pyproject()
    runtime = names(project["dependencies"])
    assert requirement_names() == runtime
    assert requirement_names("--extra", "dev") == runtime + names(
        project["optional-dependencies"]["dev"])


def test_train_target_swaps_faiss_cpu_for_faiss_gpu():
    train = requirement_names("--extra", "gpu", "--without", "faiss-cpu")
    assert "faiss-gpu" in train and "faiss-cpu" not in train
    assert "torch" in train


def test_torch_alone_keeps_pyprojects_ranges():
    result = run([sys.executable, str(DOCKER / "requirements.py"), "--only", "torch",
                  "--only", "torchvision"])
    declared = {canonicalize_name(Requirement(line).name): line
                for line in pyproject()["dependencies"]}
    assert result.stdout.splitlines() == [declared["torch"], declared["torchvision"]]


def test_an_unknown_extra_is_refused():
    result = run([sys.executable, str(DOCKER / "requirements.py"), "--extra", "gpus"])
    assert result.returncode == 1
    assert "no extra ['gpus']" in result.stderr and "dev, gpu" in result.stderr


def test_install_script_refuses_unknown_targets_and_steps():
    bad_target = run(["bash", str(INSTALL), "cuda"])
    assert bad_target.returncode == 2 and "unknown target 'cuda'" in bad_target.stderr
    bad_step = run(["bash", str(INSTALL), "api", "everything"])
    assert bad_step.returncode == 2 and "unknown step 'everything'" in bad_step.stderr
    no_dir = run(["bash", str(INSTALL), "api", "wheel"])
    assert no_dir.returncode == 2 and "usage:" in no_dir.stderr


def test_wheel_and_project_steps_install_a_working_lookbook(tmp_path):
    """The images' `wheel` and `runtime` stages: build the wheel, install it with no dependency
    resolution into a fresh environment (which sees this one's packages, as the image's venv
    holds the `deps` stage's), pass `pip check`, run the installed command."""
    wheels = tmp_path / "wheels"
    built = run(["bash", str(INSTALL), "api", "wheel", str(wheels)])
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("lookbook-*.whl")
    files = set(zipfile.ZipFile(wheel).namelist())
    # every file of the packages, data included (the web page, report templates), is in it
    for package in ("app", "model", "index"):
        for path in (REPO / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert str(path.relative_to(REPO)) in files, f"{path} is not in the wheel"

    venv = tmp_path / "venv"
    # without pip: a venv's own seed packages (setuptools 65 on 3.11) would shadow this
    # environment's and fail `pip check` on torch's setuptools>=77; the image's venv has them
    # upgraded by the deps step. pip itself then runs from this environment, into the venv.
    created = run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                   str(venv)])
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    installed = run(["bash", str(INSTALL), "api", "project", str(wheels)],
                    env={**os.environ, "PYTHON": str(python)})
    assert installed.returncode == 0, installed.stderr
    where = run([str(python), "-c", "import app, sys; sys.stdout.write(app.__file__)"],
                cwd=tmp_path)
    assert where.stdout.startswith(str(venv)), where.stdout  # the wheel, not this checkout
    help_text = run([str(venv / "bin" / "lookbook"), "serve", "--help"], cwd=tmp_path)
    assert help_text.returncode == 0 and "--workers" in help_text.stdout
