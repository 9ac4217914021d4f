"""Every broken dataset folder of model/sample/broken.py is refused by `lookbook check` and
`lookbook train`: exit code 1, one `lookbook: error:` line naming the damage, no traceback,
and nothing written in or beside the folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_support import snapshot

from app.cli import main
from model.sample.broken import BREAKAGES, SPLIT, write_broken

TRAIN_ARGS = ["--split", SPLIT, "--quiet", "--set", "train.epochs=1",
              "--set", "model.image_size=32"]
BY_NAME = {b.name: b for b in BREAKAGES}


def _refusal(stderr: str, needle: str) -> None:
    lines = stderr.splitlines()
    assert "Traceback" not in stderr, stderr
    assert lines and lines[0].startswith("lookbook: error: "), stderr
    # one error line; any further lines are the indented rest of the same report
    assert all(line.startswith("  ") for line in lines[1:]), stderr
    assert needle in stderr, stderr


def test_there_are_at_least_twenty_kinds():
    assert len(BREAKAGES) >= 20 and len(BY_NAME) == len(BREAKAGES)


@pytest.mark.parametrize("name", list(BY_NAME))
def test_check_and_train_refuse_a_broken_folder(name, good_folder, tmp_path, capsys,
                                                monkeypatch):
    breakage = BY_NAME[name]
    data = write_broken(good_folder, tmp_path / "data" / "polyvore_outfits", breakage)
    cache = tmp_path / "cache"
    monkeypatch.setenv("LOOKBOOK_CACHE", str(cache))
    before, beside = snapshot(data), sorted(os.listdir(data.parent))

    assert main(["check", str(data), "--split", SPLIT]) == 1
    _refusal(capsys.readouterr().err, breakage.names)

    run = tmp_path / "runs" / "r"
    assert main(["train", "--data", str(data), "--out", str(run), *TRAIN_ARGS]) == 1
    _refusal(capsys.readouterr().err, breakage.names)

    assert snapshot(data) == before  # the dataset is untouched
    assert sorted(os.listdir(data.parent)) == beside  # and nothing appeared beside it
    assert not cache.exists()  # no features were cached for it
    assert not run.exists()  # refused before the run folder was made
    assert not Path("/tmp/lookbook-pwned").exists()  # the hostile pickle never ran


def test_the_command_refuses_in_a_real_process(good_folder, tmp_path):
    # one case end to end through a real interpreter (each start imports torch: ~10 s)
    name = "hostile-typespaces"
    data = write_broken(good_folder, tmp_path / "polyvore_outfits", BY_NAME[name])
    env = {**os.environ, "LOOKBOOK_CACHE": str(tmp_path / "cache"), "OMP_WAIT_POLICY": "PASSIVE"}
    for argv in (["check", str(data)],
                 ["train", "--data", str(data), "--out", str(tmp_path / "run"), *TRAIN_ARGS]):
        proc = subprocess.run([sys.executable, "-m", "app.cli", *argv], capture_output=True,
                              text=True, env=env, timeout=300)
        assert proc.returncode == 1, proc.stderr
        _refusal(proc.stderr, BY_NAME[name].names)
    assert sorted(os.listdir(tmp_path)) == ["polyvore_outfits"]
