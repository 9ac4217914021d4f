"""The scripts the containers run, against a real bundle and a real `lookbook serve`: the API
entry point waits for a servable bundle and then serves, the HEALTHCHECK script reads
/healthz, the reload script swaps a bundle in (or reports the refusal), and the trainer's
job script runs check -> train -> evaluate -> build-index and is idempotent."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import DOCKER, REPO, run

sys.path.insert(0, str(DOCKER))
from wait_for_bundle import bundle_problem, wait_for_bundle  # noqa: E402

TOKEN = "deploy-test-token"


def script_env(**extra: str) -> dict[str, str]:
    # `python` and `lookbook` as the container has them: this environment's, importing this
    # checkout (as the editable install of CI does, whatever folder it was made from)
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "OMP_WAIT_POLICY": "PASSIVE",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO),
                                                       os.environ.get("PYTHONPATH")]))}
    env.pop("LOOKBOOK_ADMIN_TOKEN", None)
    return {**env, **extra}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def place(bundle: Path, target: Path) -> None:
    """Copy a bundle next to `target`, then rename it there: how a bundle appears in the
    volume (index/bundle.py swaps folders the same way)."""
    staging = target.with_name(target.name + ".staging")
    shutil.copytree(bundle, staging)
    staging.rename(target)


def test_a_missing_bundle_is_reported(tmp_path):
    result = run([sys.executable, str(DOCKER / "wait_for_bundle.py"), "--once",
                  str(tmp_path / "none")], env=script_env())
    assert result.returncode == 1
    assert f"lookbook: error: no bundle at {tmp_path / 'none'} yet" in result.stderr


def test_a_servable_bundle_passes_and_a_damaged_one_does_not(pipeline, tmp_path):
    ok = run([sys.executable, str(DOCKER / "wait_for_bundle.py"), "--once",
              str(pipeline.bundle)], env=script_env())
    assert ok.returncode == 0, ok.stderr
    damaged = tmp_path / "damaged"
    shutil.copytree(pipeline.bundle, damaged)
    items = json.loads((damaged / "items.json").read_text())
    items[0]["title"] = "changed after the build"
    (damaged / "items.json").write_text(json.dumps(items))
    problem = bundle_problem(damaged)
    assert problem is not None and "is not servable" in problem and "items.json" in problem


def test_waiting_ends_when_the_bundle_appears(pipeline, tmp_path):
    target = tmp_path / "bundles" / "polyvore"
    target.parent.mkdir()
    sleeps = []

    def sleep(seconds):  # the trainer finishes while the API waits
        sleeps.append(seconds)
        if len(sleeps) == 2:
            place(pipeline.bundle, target)

    assert wait_for_bundle(target, timeout=0, interval=7, sleep=sleep) is None
    assert sleeps == [7, 7]


def test_waiting_gives_up_after_the_timeout(tmp_path):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    problem = wait_for_bundle(tmp_path, timeout=30, interval=10, clock=lambda: now[0],
                              sleep=sleep)
    assert problem == f"no bundle at {tmp_path} yet (no manifest.json)"
    assert now[0] == 30


def health(port: int) -> subprocess.CompletedProcess:
    return run([sys.executable, str(DOCKER / "healthcheck.py")],
               env=script_env(LOOKBOOK_PORT=str(port)))


def reload(port: int, *args: str, token: str | None = TOKEN) -> subprocess.CompletedProcess:
    extra = {"LOOKBOOK_PORT": str(port)} | ({"LOOKBOOK_ADMIN_TOKEN": token} if token else {})
    return run([sys.executable, str(DOCKER / "reload.py"), *args], env=script_env(**extra))


@pytest.fixture(scope="module")
def served(pipeline, tmp_path_factory):
    """The API entry point started before its bundle exists, as beside a running trainer; the
    bundle is put in place once it is seen waiting."""
    root = tmp_path_factory.mktemp("volume")
    target = root / "bundles" / "polyvore"
    target.parent.mkdir()
    port = free_port()
    env = script_env(LOOKBOOK_ARTIFACTS=str(target), LOOKBOOK_HOST="127.0.0.1",
                     LOOKBOOK_PORT=str(port), LOOKBOOK_ADMIN_TOKEN=TOKEN,
                     LOOKBOOK_WAIT_INTERVAL="0.5", LOOKBOOK_ACCESS_LOG="false")
    log = (root / "server.log").open("w")
    server = subprocess.Popen(["sh", str(DOCKER / "api-entrypoint.sh")], env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "waiting: no bundle at" not in (root / "server.log").read_text():
            assert server.poll() is None and time.monotonic() < deadline, \
                (root / "server.log").read_text()
            time.sleep(0.2)
        assert health(port).returncode == 1  # waiting, not serving
        place(pipeline.bundle, target)
        while health(port).returncode != 0:
            assert server.poll() is None and time.monotonic() < deadline, \
                (root / "server.log").read_text()
            time.sleep(0.5)
        yield {"port": port, "bundle": target, "root": root, "server": server}
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def test_entry_point_serves_once_the_bundle_is_valid_and_healthcheck_passes(served):
    result = health(served["port"])
    assert result.returncode == 0 and result.stderr == ""
    log = (served["root"] / "server.log").read_text()
    assert f"{served['bundle']} is servable" in log


def test_reload_swaps_in_a_bundle(served, pipeline):
    second = served["root"] / "bundles" / "polyvore-2"
    place(pipeline.bundle, second)
    result = reload(served["port"], str(second))
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["current"]["artifacts"] == str(second)
    assert answer["current"]["generation"] == answer["previous"]["generation"] + 1


def test_reload_reports_a_refusal_and_a_missing_token(served):
    refused = reload(served["port"], str(served["root"] / "absent"))
    assert refused.returncode == 1
    assert "lookbook: error: reload refused (409)" in refused.stderr
    no_token = reload(served["port"], token=None)
    assert no_token.returncode == 1 and "LOOKBOOK_ADMIN_TOKEN is not set" in no_token.stderr


def test_healthcheck_fails_when_nothing_listens():
    result = health(free_port())
    assert result.returncode == 1 and result.stderr.startswith("unhealthy: ")


def test_entry_point_gives_up_after_its_timeout_and_runs_other_commands(tmp_path):
    env = script_env(LOOKBOOK_ARTIFACTS=str(tmp_path / "none"), LOOKBOOK_WAIT_TIMEOUT="1",
                     LOOKBOOK_WAIT_INTERVAL="0.2")
    waited = run(["sh", str(DOCKER / "api-entrypoint.sh")], env=env)
    assert waited.returncode == 1
    assert f"lookbook: error: no bundle at {tmp_path / 'none'} yet" in waited.stderr
    other = run(["sh", str(DOCKER / "api-entrypoint.sh"), "lookbook", "serve", "--help"],
                env=env)
    assert other.returncode == 0 and "--artifacts" in other.stdout


@pytest.mark.slow
def test_trainer_job_builds_a_servable_bundle_and_is_idempotent(pipeline, tmp_path):
    env = script_env(LOOKBOOK_DATA=str(pipeline.data), LOOKBOOK_OUTPUT=str(tmp_path),
                     LOOKBOOK_RUN_NAME="tiny", LOOKBOOK_SPLIT=pipeline.split,
                     LOOKBOOK_TRAIN_DEVICE="cpu",
                     LOOKBOOK_TRAIN_SET="train.epochs=1 model.image_size=64 "
                                        "train.batch_size=128",
                     LOOKBOOK_CACHE=str(pipeline.cache.parent))  # the session's features
    first = run(["bash", str(DOCKER / "train.sh")], env=env)
    assert first.returncode == 0, first.stderr[-3000:]
    run_dir, bundle = tmp_path / "runs" / "tiny", tmp_path / "bundles" / "tiny"
    assert json.loads((run_dir / "config.json").read_text())["split"] == pipeline.split
    report = json.loads((run_dir / "evaluation.json").read_text())
    assert 0.0 <= report["fitb_accuracy"] <= 1.0
    assert bundle_problem(bundle) is None
    built = json.loads((bundle / "manifest.json").read_text())["created"]

    again = run(["bash", str(DOCKER / "train.sh")], env=env)
    assert again.returncode == 0 and "nothing to do" in again.stderr
    assert json.loads((bundle / "manifest.json").read_text())["created"] == built


def test_trainer_job_stops_on_a_dataset_it_cannot_use(tmp_path):
    (tmp_path / "data").mkdir()
    env = script_env(LOOKBOOK_DATA=str(tmp_path / "data"), LOOKBOOK_OUTPUT=str(tmp_path / "out"))
    result = run(["bash", str(DOCKER / "train.sh")], env=env)
    assert result.returncode == 1
    assert "is not usable" in result.stderr
    assert not (tmp_path / "out" / "runs").exists()
