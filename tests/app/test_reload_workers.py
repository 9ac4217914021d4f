"""An admin reload reaches every worker of `lookbook serve --workers 2`: the worker that
answers checks and swaps the bundle, the other follows through the shared reload folder; a
refused bundle changes no worker."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from app.core.config import Settings
from app.core.reload_sync import MARKER, ReloadMarker, apply_announced, read_marker
from tests.app.conftest import ADMIN_TOKEN, make_client

AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> dict | None:
    try:  # a new connection each time, so that either worker may take it
        r = httpx.get(f"{url}/readyz", headers={"connection": "close"}, timeout=5)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else None


def _workers(url: str, want: int, until, timeout: float) -> dict[int, dict]:
    """/readyz by worker pid, polled until `want` workers all satisfy `until`."""
    seen: dict[int, dict] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = _ready(url)
        if ready is not None:
            seen[ready["pid"]] = ready
        if len(seen) >= want and all(until(r) for r in seen.values()):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"after {timeout} s: {seen}")


@pytest.fixture
def two_workers(model_bundle, tmp_path):
    port = _free_port()
    env = {**os.environ, "LOOKBOOK_ADMIN_TOKEN": ADMIN_TOKEN,
           "LOOKBOOK_RELOAD_POLL_SECONDS": "0.2", "LOOKBOOK_ACCESS_LOG": "false",
           "LOOKBOOK_THREADS": "2", "OMP_WAIT_POLICY": "PASSIVE"}
    for name in ("LOOKBOOK_RELOAD_DIR", "PROMETHEUS_MULTIPROC_DIR"):
        env.pop(name, None)  # `lookbook serve` makes both for its workers
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--artifacts", str(model_bundle),
         "--port", str(port), "--workers", "2"],
        stdout=log, stderr=log, env=env, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_a_reload_reaches_both_workers(two_workers, model_bundle, tmp_path):
    url = two_workers
    before = _workers(url, 2, lambda r: r["generation"] == 1, timeout=240)
    assert {r["artifacts"] for r in before.values()} == {str(model_bundle)}

    fresh = tmp_path / "fresh"
    shutil.copytree(model_bundle, fresh)
    r = httpx.post(f"{url}/admin/reload", headers=AUTH, json={"artifacts": str(fresh)},
                   timeout=120)
    assert r.status_code == 200, r.text
    assert r.json()["current"]["generation"] == 2
    after = _workers(url, 2, lambda r: r["generation"] == 2, timeout=60)
    assert set(after) == set(before)  # the same two processes, no restart
    assert {r["artifacts"] for r in after.values()} == {str(fresh)}

    bad = tmp_path / "bad"
    shutil.copytree(model_bundle, bad)
    (bad / "embeddings.npy").write_bytes(b"broken")
    r = httpx.post(f"{url}/admin/reload", headers=AUTH, json={"artifacts": str(bad)},
                   timeout=120)
    assert r.status_code == 409 and r.json()["error"]["code"] == "reload_refused"
    time.sleep(1.0)  # five poll intervals: a follower would have moved by now
    still = _workers(url, 2, lambda r: True, timeout=30)
    assert {(r["generation"], r["artifacts"]) for r in still.values()} == {(2, str(fresh))}
    metrics = httpx.get(f"{url}/metrics", timeout=10).text
    assert 'lookbook_reloads_total{outcome="followed"} 1.0' in metrics


def test_a_worker_started_after_a_reload_serves_its_bundle(model_bundle, tmp_path):
    shared = tmp_path / "reload"
    fresh = tmp_path / "fresh"
    shutil.copytree(model_bundle, fresh)
    with make_client(model_bundle, admin_token=ADMIN_TOKEN, reload_dir=shared) as first:
        r = first.post("/admin/reload", headers=AUTH, json={"artifacts": str(fresh)})
        assert r.status_code == 200, r.text
    marker = read_marker(shared)
    assert (shared / MARKER).is_file() and marker.generation == 2
    assert marker.artifacts == str(fresh.resolve())
    # a restarted worker: configured with the old folder, it joins the reloaded generation
    with make_client(model_bundle, reload_dir=shared) as late:
        ready = late.get("/readyz").json()
        assert (ready["generation"], ready["artifacts"]) == (2, str(fresh.resolve()))


def test_a_worker_that_cannot_follow_keeps_serving(model_bundle, tmp_path):
    shared = tmp_path / "reload"
    shared.mkdir()
    with make_client(model_bundle, reload_dir=shared, reload_poll_seconds=60) as worker:
        gone = ReloadMarker(generation=5, artifacts=str(tmp_path / "deleted"), model_hash="x")
        (shared / MARKER).write_text(json.dumps(gone.__dict__))
        worker.portal.call(apply_announced, worker.app, shared)
        ready = worker.get("/readyz").json()
        assert (ready["generation"], ready["artifacts"]) == (1, str(model_bundle))
        metrics = worker.get("/metrics").text
        assert 'lookbook_reloads_total{outcome="follow_failed"} 1.0' in metrics
        assert worker.post("/compatibility", json={"outfit": [
            {"item_id": i["item_id"]} for i in worker.app.state.served.catalog.items[:2]]}
        ).status_code == 200


def test_settings_take_the_reload_folder_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LOOKBOOK_RELOAD_DIR", str(tmp_path))
    monkeypatch.setenv("LOOKBOOK_RELOAD_POLL_SECONDS", "0.5")
    settings = Settings()
    assert settings.reload_dir == tmp_path and settings.reload_poll_seconds == 0.5
