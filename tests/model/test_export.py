import json

import numpy as np
import pytest
import torch

from model.export import ExportError, export_model, load_exported
from model.features import load_image
from model.run import load_trained


@pytest.fixture(scope="module")
def exported(pipeline, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "model"
    export_model(load_trained(pipeline.run), folder)
    return folder


def test_export_describes_itself(exported, pipeline):
    trained = load_trained(pipeline.run)
    description = json.loads((exported / "model.json").read_text())
    assert description["model_hash"] == trained.model_hash()
    assert description["backbone"]["name"] == trained.config.model.backbone
    assert description["preprocessing"]["image_size"] == trained.config.model.image_size
    assert description["preprocessing"]["mean"] == [0.5, 0.5, 0.5]
    assert description["types"] == list(trained.types)
    n = len(trained.types)
    assert len(description["type_pairs"]) == n * (n + 1) // 2
    assert description["in_dim"] == trained.head.in_dim
    assert sorted(p.name for p in exported.iterdir()) == ["model.json", "model.safetensors"]


def test_an_item_image_embeds_to_its_catalog_embedding(exported, pipeline):
    model = load_exported(exported)
    items = json.loads((pipeline.bundle / "items.json").read_text())
    catalog = np.load(pipeline.bundle / "embeddings.npy")
    rows = [0, 17, 401]
    images = [load_image(pipeline.data / "images" / f"{items[r]['item_id']}.jpg") for r in rows]
    got = model.embed_images(images)
    assert got.shape == (3, model.embedding_dim)
    np.testing.assert_allclose(got.numpy(), catalog[rows], atol=1e-4, rtol=0)
    # one at a time gives the same answer as a batch
    np.testing.assert_allclose(model.embed_images(images[1:2]).numpy(), got[1:2].numpy(),
                               atol=1e-5, rtol=0)


def test_a_damaged_export_is_refused(exported, tmp_path):
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(exported, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ExportError, match="does not match the hash"):
        load_exported(copy)
    (copy / "model.json").unlink()
    with pytest.raises(ExportError, match="no model.json"):
        load_exported(copy)


def test_export_replaces_a_previous_folder(exported, pipeline, tmp_path):
    target = tmp_path / "m"
    trained = load_trained(pipeline.run)
    export_model(trained, target)
    with torch.no_grad():
        trained.head.embed.bias.add_(1.0)
    second = export_model(trained, target)
    assert json.loads((target / "model.json").read_text())["model_hash"] == second["model_hash"]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no staging or retired leftovers
