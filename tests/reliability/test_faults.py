"""Faults: training killed (SIGKILL) at random points, also inside a checkpoint write, resumes
to the uninterrupted result; a damaged bundle is refused at start-up and on reload (the old
one keeps serving); a full disk while writing a checkpoint or a bundle leaves the previous one
intact."""

from __future__ import annotations

import errno
import json
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient

from app.cli import main
from app.core.config import Settings
from app.main import create_app
from index.manifest import MANIFEST
from index.search import CatalogIndex
from model.config import load_config
from model.run import LAST, load_checkpoint, save_checkpoint
from model.train import train

SMALL = ["model.image_size=64", "train.batch_size=128", "train.epochs=2",
         "train.checkpoint_every=3"]

# Dies by SIGKILL at the `kill_at`-th optimiser step, or half way through the
# `kill_in_save`-th checkpoint write (a torn temp file is left behind); 0 = never.
KILLER = textwrap.dedent("""
    import io, os, signal, sys
    from pathlib import Path
    import torch
    import model.io as mio
    import model.run as mrun
    import model.train as t
    from model.config import load_config

    data, run, cache, kill_at, kill_in_save, resume, *overrides = sys.argv[1:]
    real_step, real_save, calls = t.step_losses, mrun.atomic_torch_save, [0, 0]

    def dying_step(*args, **kwargs):
        calls[0] += 1
        if calls[0] == int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_step(*args, **kwargs)

    def dying_save(obj, path):
        calls[1] += 1
        if calls[1] == int(kill_in_save):
            buffer = io.BytesIO()
            torch.save(obj, buffer)
            with mio.atomic_writer(path) as f:
                f.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
                f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
        return real_save(obj, path)

    t.step_losses, mrun.atomic_torch_save = dying_step, dying_save
    t.train(Path(data), "nondisjoint", Path(run), load_config(None, overrides),
            cache_dir=Path(cache), progress=False, resume=resume == "1")
""")


def _killed(trained, run, kill_at: int, kill_in_save: int, resume: bool) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(trained.data), str(run), str(trained.cache),
         str(kill_at), str(kill_in_save), "1" if resume else "0", *SMALL],
        capture_output=True, timeout=600)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]


def _epoch_records(run) -> list[dict]:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return [json.loads(x) for x in lines if "valid_fitb_accuracy" in x]


def test_training_killed_at_random_points_ends_with_the_same_metrics(trained, tmp_path):
    config = load_config(None, SMALL)
    straight = tmp_path / "straight"
    train(trained.data, "nondisjoint", straight, config, cache_dir=trained.cache,
          progress=False)
    total = load_checkpoint(straight / LAST)["step"]
    # a step in the first epoch, then (in the resumed process) a torn checkpoint write
    rng = random.Random(20)
    first_kill = rng.randrange(2, total // 2)
    killed = tmp_path / "killed"
    _killed(trained, killed, kill_at=first_kill, kill_in_save=0, resume=False)
    _killed(trained, killed, kill_at=0, kill_in_save=rng.randrange(1, 4), resume=True)
    train(trained.data, "nondisjoint", killed, config, cache_dir=trained.cache,
          progress=False, resume=True)

    a, b = load_checkpoint(straight / LAST), load_checkpoint(killed / LAST)
    assert a["step"] == b["step"] == total
    for name, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][name], atol=1e-6), name
    got, want = _epoch_records(killed), _epoch_records(straight)
    assert [r["epoch"] for r in got] == [0, 1]
    for g, w in zip(got, want, strict=True):
        assert g["valid_fitb_accuracy"] == w["valid_fitb_accuracy"]
        assert g["valid_compatibility_auc"] == pytest.approx(w["valid_compatibility_auc"])
    assert not list(killed.glob(".*.tmp"))  # the torn write's temp file was cleared


# --- damaged bundles -------------------------------------------------------------------

def _truncate(name):
    def apply(bundle):
        data = (bundle / name).read_bytes()
        (bundle / name).write_bytes(data[: len(data) // 2])
    return apply


def _flip_byte(name):
    def apply(bundle):
        data = bytearray((bundle / name).read_bytes())
        data[len(data) // 2] ^= 0xFF
        (bundle / name).write_bytes(bytes(data))
    return apply


def _manifest(change):
    def apply(bundle):
        manifest = json.loads((bundle / MANIFEST).read_text())
        change(manifest)
        (bundle / MANIFEST).write_text(json.dumps(manifest))
    return apply


def _model_json(change):
    def apply(bundle):
        description = json.loads((bundle / "model" / "model.json").read_text())
        change(description)
        (bundle / "model" / "model.json").write_text(json.dumps(description))
    return apply


def _consistent_wrong_dims(bundle):
    # embeddings of another width with every hash updated: only the shape checks catch it
    from index.manifest import file_sha256
    emb = np.load(bundle / "embeddings.npy")
    np.save(bundle / "embeddings.npy", np.zeros((emb.shape[0], emb.shape[1] + 8), np.float32))
    manifest = json.loads((bundle / MANIFEST).read_text())
    manifest["files"]["embeddings.npy"] = file_sha256(bundle / "embeddings.npy")
    (bundle / MANIFEST).write_text(json.dumps(manifest))


DAMAGE = {
    "truncated-embeddings": (_truncate("embeddings.npy"), "embeddings.npy"),
    "corrupt-index": (_flip_byte("index_tops.faiss"), "index_tops.faiss"),
    "truncated-manifest": (_truncate(MANIFEST), MANIFEST),
    "missing-items": (lambda b: (b / "items.json").unlink(), "items.json"),
    "wrong-model-hash": (_manifest(lambda m: m.update(model_hash="0" * 16)), "model"),
    "wrong-dims-in-manifest": (_manifest(lambda m: m.update(embedding_dim=m["embedding_dim"]
                                                             + 1)), "dim"),
    "wrong-dims-consistent-hashes": (_consistent_wrong_dims, "embeddings"),
    "model-of-another-bundle": (_model_json(lambda d: d.update(model_hash="f" * 16)), "model"),
    "corrupt-model-weights": (_flip_byte("model/model.safetensors"), "model.safetensors"),
}


@pytest.fixture(scope="module")
def damaged(served_bundle, tmp_path_factory):
    root = tmp_path_factory.mktemp("damaged")
    out = {}
    for name, (apply, needle) in DAMAGE.items():
        shutil.copytree(served_bundle, root / name)
        apply(root / name)
        out[name] = (root / name, needle)
    return out


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_bundle_is_refused_at_start_up(damaged, name, capsys):
    bundle, needle = damaged[name]
    assert main(["serve", "--artifacts", str(bundle), "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lookbook: error: ") and "Traceback" not in err, err
    assert needle in err, err
    with pytest.raises(Exception, match=needle):
        with TestClient(create_app(Settings(artifacts=bundle))):
            pass


def test_a_damaged_bundle_is_refused_on_reload_and_the_old_one_serves(served_bundle,
                                                                       damaged):
    auth = {"authorization": "Bearer t"}
    with TestClient(create_app(Settings(artifacts=served_bundle, admin_token="t",
                                        access_log=False))) as client:
        first = client.app.state.served
        ids = [{"item_id": i["item_id"]} for i in first.catalog.items[:3]]
        before = client.post("/compatibility", json={"outfit": ids}).json()
        for name, (bundle, needle) in damaged.items():
            r = client.post("/admin/reload", headers=auth, json={"artifacts": str(bundle)})
            assert r.status_code == 409, (name, r.text)
            assert needle in r.json()["error"]["message"], (name, r.text)
            assert client.app.state.served is first
            assert client.post("/compatibility", json={"outfit": ids}).json() == before


def test_reloads_during_requests_lose_none(served_bundle, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(served_bundle, other)
    auth = {"authorization": "Bearer t"}
    statuses: list[int] = []
    stop = threading.Event()
    with TestClient(create_app(Settings(artifacts=served_bundle, admin_token="t",
                                        access_log=False))) as client:
        ids = [{"item_id": i["item_id"]} for i in client.app.state.served.catalog.items[:3]]

        def hammer():
            while not stop.is_set():
                statuses.append(client.post("/compatibility", json={"outfit": ids}).status_code)

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for n in range(4):
                target = other if n % 2 == 0 else served_bundle
                r = client.post("/admin/reload", headers=auth, json={"artifacts": str(target)})
                assert r.status_code == 200, r.text
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert client.get("/readyz").json()["generation"] == 5
    assert len(statuses) > 20 and set(statuses) == {200}


# --- a full disk ------------------------------------------------------------------------

def _disk_full_after(n_bytes: int):
    def write(obj, f, *args, **kwargs):
        f.write(b"\0" * n_bytes)
        raise OSError(errno.ENOSPC, "No space left on device")
    return write


def test_a_full_disk_while_checkpointing_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / LAST
    save_checkpoint(path, {"step": 1, "w": torch.arange(10.0)})
    monkeypatch.setattr("model.io.torch.save", _disk_full_after(4096))
    with pytest.raises(OSError) as info:
        save_checkpoint(path, {"step": 2, "w": torch.zeros(10)})
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    state = load_checkpoint(path)
    assert state["step"] == 1 and torch.equal(state["w"], torch.arange(10.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == [LAST]  # no torn temp file


def test_a_full_disk_while_building_a_bundle_keeps_the_previous_bundle(pipeline, tmp_path,
                                                                       monkeypatch, capsys):
    import index.bundle

    bundle = tmp_path / "bundle"
    shutil.copytree(pipeline.bundle, bundle)
    manifest_before = (bundle / MANIFEST).read_text()
    writes = {"n": 0}
    real_write = index.bundle.write_index

    def write_index(index, path):
        writes["n"] += 1
        if writes["n"] == 3:  # the disk fills part way through the indices
            path.with_name(f".{path.name}.tmp").write_bytes(b"\0" * 1024)
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(index, path)

    monkeypatch.setattr(index.bundle, "write_index", write_index)
    monkeypatch.setenv("LOOKBOOK_CACHE", str(pipeline.cache.parent))
    code = main(["build-index", "--run", str(pipeline.run), "--data", str(pipeline.data),
                 "--out", str(bundle), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("lookbook: error: no space left on the device"), err
    assert (bundle / MANIFEST).read_text() == manifest_before
    CatalogIndex.load(bundle)  # every file still matches its manifest hash
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no staging folder left
