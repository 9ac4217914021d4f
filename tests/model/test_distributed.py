"""Two CPU processes under torchrun (gloo): the same loop as one process, rank 0 writing."""

import json
import os
import socket
import subprocess
import sys

import pytest

from model.run import BEST, LAST, load_checkpoint


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_torchrun_two_cpu_processes(trained, tmp_path):
    run = tmp_path / "ddp"
    env = {**os.environ, "LOOKBOOK_CACHE": str(trained.cache.parent), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           "-m", "app.cli", "train", "--data", str(trained.data), "--out", str(run), "--quiet",
           "--set", "train.epochs=2", "--set", "model.image_size=64",
           "--set", "train.batch_size=128"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == 1  # rank 0 reports for both
    assert json.loads(reports[0])["valid_fitb_accuracy"] > 0.5
    state = load_checkpoint(run / LAST)
    assert state["epoch"] == 2 and (run / BEST).is_file()
    config = json.loads((run / "config.json").read_text())
    assert config["world_size"] == 2
    epochs = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()
              if "valid_fitb_accuracy" in x]
    assert [e["epoch"] for e in epochs] == [0, 1]  # one writer: no duplicate records


@pytest.mark.slow
def test_torchrun_fine_tunes_the_backbone(trained, tmp_path):
    """DDP over head and backbone: the tuned last stage is synchronised and saved by rank 0."""
    import torch

    from model.backbones import create_backbone

    run = tmp_path / "ddp-tuned"
    env = {**os.environ, "LOOKBOOK_CACHE": str(trained.cache.parent), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2",
           "--master_addr=127.0.0.1", f"--master_port={_free_port()}",
           "-m", "app.cli", "train", "--data", str(trained.data), "--out", str(run), "--quiet",
           "--preset", "offline", "--set", "train.epochs=1", "--set", "model.image_size=64",
           "--set", "model.finetune=last", "--set", "train.batch_size=32",
           "--set", "train.triplets_per_epoch=64"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    state = load_checkpoint(run / LAST)
    original, _ = create_backbone("efficientnet_lite0")
    key = "conv_head.weight"
    assert not torch.equal(state["backbone"][key], original.state_dict()[key])
    assert torch.equal(state["backbone"]["conv_stem.weight"],
                       original.state_dict()["conv_stem.weight"])
