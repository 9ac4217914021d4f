import os

import numpy as np
import pytest
import torch

from model.io import (
    atomic_save_numpy,
    atomic_torch_save,
    atomic_write_bytes,
    atomic_write_text,
    atomic_writer,
)


def test_write_replaces_the_file_and_leaves_nothing_else(tmp_path):
    path = tmp_path / "artifact.bin"
    atomic_write_bytes(path, b"first")
    atomic_write_bytes(path, b"second")
    assert path.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["artifact.bin"]


def test_failed_write_keeps_the_old_file_whole(tmp_path):
    path = tmp_path / "config.json"
    atomic_write_text(path, '{"margin": 0.3}')
    with pytest.raises(RuntimeError), atomic_writer(path) as f:
        f.write(b'{"marg')
        raise RuntimeError("crash in the middle of a write")
    assert path.read_text() == '{"margin": 0.3}'
    assert os.listdir(tmp_path) == ["config.json"]


def test_failed_first_write_leaves_no_file(tmp_path):
    path = tmp_path / "objects.npy"
    with pytest.raises(ValueError):  # object arrays would need pickle, which is refused
        atomic_save_numpy(path, np.array([{"a": 1}], dtype=object))
    assert os.listdir(tmp_path) == []


def test_file_mode_matches_a_plain_write(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    atomic = tmp_path / "atomic.txt"
    atomic_write_text(atomic, "x")
    assert atomic.stat().st_mode == plain.stat().st_mode


def test_text_is_utf8(tmp_path):
    path = tmp_path / "note.txt"
    atomic_write_text(path, "écharpe, 围巾")
    assert path.read_text(encoding="utf-8") == "écharpe, 围巾"


def test_numpy_round_trip_keeps_the_exact_name(tmp_path):
    path = tmp_path / "features.cache"
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    atomic_save_numpy(path, array)
    assert os.listdir(tmp_path) == ["features.cache"]
    loaded = np.load(path, allow_pickle=False)
    np.testing.assert_array_equal(loaded, array)
    assert loaded.dtype == np.float32


def test_torch_round_trip_loads_with_weights_only(tmp_path):
    path = tmp_path / "checkpoint.pt"
    checkpoint = {"step": 7, "state": {"w": torch.arange(3.0)}, "config": {"dim": 128}}
    atomic_torch_save(checkpoint, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded["step"] == 7 and loaded["config"] == {"dim": 128}
    torch.testing.assert_close(loaded["state"]["w"], torch.arange(3.0))
    assert os.listdir(tmp_path) == ["checkpoint.pt"]


def test_atomic_directory_replaces_on_success_and_keeps_the_old_on_failure(tmp_path):
    import pytest

    from model.io import atomic_directory

    target = tmp_path / "bundle"
    with atomic_directory(target) as staging:
        (staging / "a.txt").write_text("one")
    assert (target / "a.txt").read_text() == "one"
    with pytest.raises(RuntimeError), atomic_directory(target) as staging:
        (staging / "a.txt").write_text("two")
        raise RuntimeError("killed half-way")
    assert (target / "a.txt").read_text() == "one"
    with atomic_directory(target) as staging:
        (staging / "b.txt").write_text("three")
    assert sorted(p.name for p in target.iterdir()) == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]  # no staging or retired left
