import json
import os
import zlib

import numpy as np
import pytest
from PIL import Image

from model import features
from model.color import color_histogram
from model.features import FeatureError, cached_features, extract_features

LITE0 = "efficientnet_lite0"
SIZE = 64  # small inputs keep the CNN to milliseconds; the weights are the real ones
COLOURS = [(200, 30, 30), (30, 160, 60), (40, 40, 190), (230, 200, 40), (20, 20, 20)]


def write_item(root, item_id, colour, size=(48, 64)):
    image = Image.new("RGB", size, (255, 255, 255))
    image.paste(Image.new("RGB", (size[0] // 2, size[1] // 2), colour), (size[0] // 4, 10))
    image.save(root / "images" / f"{item_id}.jpg", quality=95)


def make_catalog(root):
    (root / "images").mkdir(parents=True)
    ids = [f"item{i}" for i in range(len(COLOURS))]
    for item_id, colour in zip(ids, COLOURS, strict=True):
        write_item(root, item_id, colour)
    return root, ids


@pytest.fixture()
def catalog(tmp_path):
    """A catalog a test may damage."""
    return make_catalog(tmp_path / "polyvore")


@pytest.fixture(scope="module")
def shared_catalog(tmp_path_factory):
    """A catalog no test changes, with its real features computed once."""
    root, ids = make_catalog(tmp_path_factory.mktemp("shared") / "polyvore")
    return root, ids, extract_features(image_paths(root, ids), LITE0, SIZE, batch_size=2)


def image_paths(root, ids):
    return [root / "images" / f"{i}.jpg" for i in ids]


def test_features_are_cnn_then_colour_histogram(shared_catalog):
    root, ids, reference = shared_catalog
    assert reference.shape == (5, 1280 + 64) and reference.dtype == np.float32
    for row, path in zip(reference, image_paths(root, ids), strict=True):
        np.testing.assert_array_equal(row[1280:], color_histogram(Image.open(path)))
    assert not np.allclose(reference[0, :1280], reference[1, :1280])


def test_rows_follow_input_order_whatever_the_batching(shared_catalog, monkeypatch):
    root, ids, reference = shared_catalog
    monkeypatch.setattr(features, "CPU_FORWARD_CHUNK", 2)  # batches of 4 run as 2 + 2
    paths = image_paths(root, ids[::-1])
    plain = extract_features(paths, LITE0, SIZE, batch_size=4, color=False)
    assert plain.shape == (5, 1280)
    np.testing.assert_allclose(plain[::-1], reference[:, :1280], rtol=1e-4, atol=1e-4)


def test_empty_input_gives_an_empty_matrix():
    assert extract_features([], LITE0, SIZE).shape == (0, 1344)


def test_dataloader_workers_give_the_same_features(shared_catalog):
    root, ids, reference = shared_catalog
    in_worker = extract_features(image_paths(root, ids[:3]), LITE0, SIZE, num_workers=1)
    np.testing.assert_allclose(in_worker, reference[:3], rtol=1e-4, atol=1e-4)


def test_undecodable_image_names_item_and_file(catalog):
    root, ids = catalog
    (root / "images" / "item2.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(FeatureError, match=r"item 'item2' cannot be decoded: .*item2\.jpg"):
        extract_features(image_paths(root, ids), LITE0, SIZE)


def test_truncated_image_fails_in_a_worker_with_the_same_error(catalog):
    root, ids = catalog
    path = root / "images" / "item1.jpg"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(FeatureError) as raised:
        extract_features(image_paths(root, ids), LITE0, SIZE, num_workers=1)
    assert str(raised.value).startswith("image of item 'item1' cannot be decoded")


def cache_call(root, ids, cache_dir, **overrides):
    settings = dict(backbone=LITE0, image_size=SIZE, color=True, cache_dir=cache_dir)
    return cached_features(root, ids, **{**settings, **overrides})


@pytest.fixture()
def fake_extractions(monkeypatch):
    """Replace the CNN by a stand-in whose rows depend on each file's bytes, so the cache
    logic is tested in milliseconds; returns the list of calls made."""
    calls = []

    def fake(paths, backbone, image_size, *, color, **kwargs):
        calls.append([p.name for p in paths])
        dim = features.feature_dim(backbone, color)
        rows = [np.full(dim, zlib.crc32(p.read_bytes()) / 2**32, np.float32) for p in paths]
        return np.stack(rows) + np.float32(image_size)

    monkeypatch.setattr(features, "extract_features", fake)
    return calls


def test_second_call_loads_the_cache_without_the_model(shared_catalog, tmp_path, monkeypatch):
    root, ids, reference = shared_catalog
    cache_dir = tmp_path / "cache"
    first = cache_call(root, ids, cache_dir)
    np.testing.assert_allclose(first, reference, rtol=1e-4, atol=1e-4)

    def no_model(*args, **kwargs):
        raise AssertionError("the CNN ran on a cache hit")

    monkeypatch.setattr(features, "create_backbone", no_model)
    np.testing.assert_array_equal(cache_call(root, ids, cache_dir), first)

    files = sorted(p.name for p in cache_dir.iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".npy")
    sidecar = json.loads((cache_dir / files[0]).read_text())
    assert sidecar["backbone"] == LITE0 and sidecar["image_size"] == SIZE
    assert (sidecar["count"], sidecar["dim"]) == (5, 1344)
    assert sidecar["columns"] == {"backbone": [0, 1280], "color_histogram": [1280, 1344]}
    assert sidecar["weights"].startswith("sha256:")


def test_cache_invalidates_when_an_image_changes(catalog, tmp_path, fake_extractions):
    root, ids = catalog
    cache_dir = tmp_path / "cache"
    before = cache_call(root, ids, cache_dir)
    write_item(root, "item3", (250, 120, 200), size=(64, 48))
    # coarse-mtime filesystems could leave the stamp equal within one tick
    path = root / "images" / "item3.jpg"
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    after = cache_call(root, ids, cache_dir)
    assert len(fake_extractions) == 2
    np.testing.assert_array_equal(after[[0, 1, 2, 4]], before[[0, 1, 2, 4]])
    assert not np.allclose(after[3], before[3])


def test_cache_key_covers_settings_and_id_list(catalog, tmp_path, fake_extractions):
    root, ids = catalog
    cache_dir = tmp_path / "cache"
    cache_call(root, ids, cache_dir)
    assert cache_call(root, ids, cache_dir, color=False).shape == (5, 1280)
    cache_call(root, ids, cache_dir, image_size=SIZE + 32)
    cache_call(root, ids[::-1], cache_dir)
    cache_call(root, ids, cache_dir)  # still cached
    assert len(fake_extractions) == 4
    assert len(list(cache_dir.glob("*.npy"))) == 4


def test_damaged_cache_is_recomputed(catalog, tmp_path, fake_extractions):
    root, ids = catalog
    cache_dir = tmp_path / "cache"
    first = cache_call(root, ids, cache_dir)
    next(cache_dir.glob("*.npy")).write_bytes(b"garbage")
    np.testing.assert_array_equal(cache_call(root, ids, cache_dir), first)
    assert len(fake_extractions) == 2


def test_missing_image_names_item_and_file(catalog, tmp_path, fake_extractions):
    root, ids = catalog
    with pytest.raises(FeatureError, match=r"item 'ghost' does not exist: .*ghost\.jpg"):
        cache_call(root, [*ids, "ghost"], tmp_path / "cache")
    assert fake_extractions == []  # checked before any image is embedded
