import json
import signal
import subprocess
import sys
import textwrap

import torch

from model.config import load_config
from model.run import BEST, LAST, load_checkpoint
from model.train import train

SMALL = ["model.image_size=64", "train.batch_size=128"]


def test_resumed_run_equals_uninterrupted_run(trained, tmp_path):
    straight = tmp_path / "straight"
    train(trained.data, "nondisjoint", straight, load_config(None, [*SMALL, "train.epochs=3"]),
          cache_dir=trained.cache, progress=False)
    resumed = tmp_path / "resumed"
    # "killed" after two epochs: the run folder holds only what two epochs wrote
    train(trained.data, "nondisjoint", resumed, load_config(None, [*SMALL, "train.epochs=2"]),
          cache_dir=trained.cache, progress=False)
    train(trained.data, "nondisjoint", resumed, load_config(None, [*SMALL, "train.epochs=3"]),
          cache_dir=trained.cache, progress=False, resume=True)
    a, b = load_checkpoint(straight / LAST), load_checkpoint(resumed / LAST)
    assert a["epoch"] == b["epoch"] == 3 and a["step"] == b["step"]  # epochs completed
    for name, tensor in a["model"].items():
        assert torch.equal(tensor, b["model"][name]), name
    assert torch.equal(a["difficulty"], b["difficulty"])


def test_run_folder_describes_itself(trained):
    config = json.loads((trained.run / "config.json").read_text())
    assert config["split"] == "nondisjoint" and config["config"]["train"]["epochs"] == 3
    lines = [json.loads(x) for x in (trained.run / "metrics.jsonl").read_text().splitlines()]
    epochs = [x for x in lines if "valid_fitb_accuracy" in x]
    assert [x["epoch"] for x in epochs] == [0, 1, 2]
    best = load_checkpoint(trained.run / BEST)
    assert best["best_fitb"] == max(x["valid_fitb_accuracy"] for x in epochs)


def test_training_beats_chance_on_the_sample(trained):
    lines = [json.loads(x) for x in (trained.run / "metrics.jsonl").read_text().splitlines()]
    best = max(x["valid_fitb_accuracy"] for x in lines if "valid_fitb_accuracy" in x)
    # 4 candidates: chance is 0.25, the colour baseline stays at or below 0.45
    assert best > 0.6


def test_existing_run_is_not_overwritten(trained, tmp_path):
    import pytest

    with pytest.raises(FileExistsError, match="--resume"):
        train(trained.data, "nondisjoint", trained.run, load_config(None, SMALL),
              cache_dir=trained.cache, progress=False)


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import model.train as t
    from model.config import load_config

    data, run, cache, kill_at, *overrides = sys.argv[1:]
    real, calls = t.step_losses, [0]

    def dying(*args, **kwargs):
        calls[0] += 1
        if calls[0] == int(kill_at):
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no flush: a real kill
        return real(*args, **kwargs)

    t.step_losses = dying
    t.train(Path(data), "nondisjoint", Path(run), load_config(None, overrides),
            cache_dir=Path(cache), progress=False)
""")


def test_a_run_killed_mid_epoch_resumes_to_the_same_result(trained, tmp_path):
    overrides = [*SMALL, "train.epochs=2", "train.checkpoint_every=4"]
    config = load_config(None, overrides)
    straight = tmp_path / "straight"
    train(trained.data, "nondisjoint", straight, config, cache_dir=trained.cache, progress=False)

    killed = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", KILLER, str(trained.data), str(killed),
                           str(trained.cache), "11", *overrides], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    state = load_checkpoint(killed / LAST)
    position = json.loads(state["position"])
    assert position["step"] == 8 and position["epoch"] == 0 and position["batch"] == 8

    train(trained.data, "nondisjoint", killed, config, cache_dir=trained.cache,
          progress=False, resume=True)
    a, b = load_checkpoint(straight / LAST), load_checkpoint(killed / LAST)
    assert a["step"] == b["step"]
    for name, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][name], atol=1e-6), name
    assert (straight / "metrics.jsonl").read_text().count("valid_fitb_accuracy") == \
        (killed / "metrics.jsonl").read_text().count("valid_fitb_accuracy") == 2
