"""Fine-tuning the backbone: images cached once as uint8, augmented on the device, the
backbone's last stage trained, and the tuned backbone carried through evaluation and export."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from model.backbones import create_backbone, get_spec
from model.config import load_config
from model.finetune import ImageEncoder, random_affine, set_trainable
from model.images import cached_pixels
from model.run import load_checkpoint, load_trained

FINETUNE = ["model.image_size=64", "model.finetune=last", "train.epochs=2",
            "train.batch_size=32", "train.triplets_per_epoch=96", "train.learning_rate=1e-3",
            "train.backbone_learning_rate=1e-4"]


@pytest.fixture(scope="module")
def tuned(trained, tmp_path_factory):
    from model.train import train

    run = tmp_path_factory.mktemp("finetune") / "run"
    train(trained.data, "nondisjoint", run, load_config(None, FINETUNE),
          cache_dir=trained.cache, progress=False)
    return run


def test_pixels_are_letterboxed_once_and_reused(trained):
    from model.backbones import letterbox
    from model.features import load_image

    ids = sorted(p.stem for p in (trained.data / "images").glob("*.jpg"))[:5]
    pixels = cached_pixels(trained.data, ids, 64, trained.cache, workers=0)
    assert pixels.shape == (5, 64, 64, 3) and pixels.dtype == np.uint8
    expected = np.asarray(letterbox(load_image(trained.data / "images" / f"{ids[2]}.jpg"), 64))
    np.testing.assert_array_equal(pixels[2], expected)
    again = cached_pixels(trained.data, ids, 64, trained.cache, workers=0)
    assert isinstance(again, np.memmap)  # read back from the cache, not decoded again
    np.testing.assert_array_equal(again, pixels)


def test_last_stage_alone_trains():
    backbone, _ = create_backbone("efficientnet_lite0")
    params = set_trainable("efficientnet_lite0", backbone, "last")
    trainable = {n for n, p in backbone.named_parameters() if p.requires_grad}
    assert params and all(n.startswith(("blocks.6.", "conv_head.", "bn2.")) for n in trainable)
    assert not backbone.conv_stem.weight.requires_grad
    assert len(set_trainable("efficientnet_lite0", backbone, "all")) == len(
        list(backbone.parameters()))


def test_encoder_matches_the_frozen_feature_extractor(trained):
    """Without augmentation the encoder sees exactly what features.py extracts."""
    from model.backbones import letterbox, preprocess
    from model.features import load_image

    backbone, spec = create_backbone("efficientnet_lite0")
    image = load_image(next((trained.data / "images").glob("*.jpg")))
    pixels = torch.from_numpy(np.array(letterbox(image, 64)))[None]
    encoder = ImageEncoder(backbone, spec, augment=True).eval()
    with torch.inference_mode():
        got = encoder(pixels)
        want = backbone(preprocess(spec, 64)(image)[None])
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)


def test_augmentation_flips_and_shifts_on_white():
    torch.manual_seed(0)
    x = torch.full((64, 3, 32, 32), 255.0)
    x[:, :, 8:24, 4:12] = 0.0  # a dark block left of centre
    out = random_affine(x)
    assert out.shape == x.shape
    assert out.min() >= -1e-3 and out.max() <= 255 + 1e-3
    corners = out[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert torch.all(corners > 250)  # borders brought in are white, never black
    left = (out[:, :, :, :16] < 128).float().mean((1, 2, 3))
    right = (out[:, :, :, 16:] < 128).float().mean((1, 2, 3))
    assert (right > left).any() and (left > right).any()  # some images flipped, some not


def test_finetuned_run_trains_the_backbone_and_serves_it(tuned, trained, tmp_path):
    from index.build import build_index
    from model.evaluate import evaluate_run
    from model.export import load_exported

    state = load_checkpoint(tuned / "best.pt")
    original, _ = create_backbone("efficientnet_lite0")
    stem = "conv_stem.weight"
    last = "conv_head.weight"
    torch.testing.assert_close(state["backbone"][stem], original.state_dict()[stem])
    assert not torch.equal(state["backbone"][last], original.state_dict()[last])

    model = load_trained(tuned)
    assert model.backbone_weights is not None and model.backbone_weights.parent == tuned
    assert model.model_hash() != load_trained(trained.run).model_hash()

    report = evaluate_run(tuned, trained.data, "nondisjoint", "test", cache_dir=trained.cache)
    assert report["n_fitb"] > 0 and 0.0 <= report["fitb_accuracy"] <= 1.0
    assert report["model_hash"] == model.model_hash()

    bundle = tmp_path / "bundle"
    manifest = build_index(tuned, trained.data, bundle, cache_dir=trained.cache)
    assert manifest.model_hash == model.model_hash()
    exported = load_exported(bundle / "model")
    assert exported.model_hash == model.model_hash()
    assert exported.description["backbone"]["weights_identity"].startswith("sha256:")
    # serving embeds a photo with the tuned backbone, as the catalog was embedded
    from model.catalog import catalog_features
    from model.data.polyvore import load_polyvore
    from model.features import load_image

    data = load_polyvore(trained.data, "nondisjoint")
    catalog = catalog_features(data, model.config, trained.cache, False, model.backbone_weights)
    item = catalog.item_ids[3]
    served = exported.embed_images([load_image(trained.data / "images" / f"{item}.jpg")])
    torch.testing.assert_close(served[0], model.embed(catalog.features[3:4])[0],
                               atol=1e-4, rtol=1e-4)


def test_bf16_autocast_runs_on_cpu(trained, tmp_path):
    from model.train import train

    config = load_config(None, [*FINETUNE, "train.epochs=1", "train.precision=bf16",
                                "train.triplets_per_epoch=32"])
    result = train(trained.data, "nondisjoint", tmp_path / "run", config,
                   cache_dir=trained.cache, progress=False)
    assert result.epochs_run == 1
    assert 0.0 <= result.best_valid["fitb_accuracy"] <= 1.0


def test_presets():
    paper = load_config(None, [], preset="paper")
    assert (paper.model.backbone, paper.model.image_size, paper.model.finetune) == (
        "vgg13", 112, "all")
    assert (paper.train.batch_size, paper.train.learning_rate, paper.loss.margin) == (
        128, 5e-5, 0.3)
    assert paper.model.embedding_dim == 128
    offline = load_config(None, [], preset="offline")
    assert (offline.model.backbone, offline.model.finetune) == ("efficientnet_lite0", "none")
    assert offline.model.color_features
    # overrides apply over a preset
    assert load_config(None, ["model.image_size=224"], preset="paper").model.image_size == 224
    assert get_spec(paper.model.backbone).feature_dim == 512


def test_text_branch_trains_beside_the_images(trained, tmp_path):
    """`model.text_encoder`: the titles' hashed features, projected and tied to f(x) by the
    visual-semantic loss; its terms are logged and its weights checkpointed, and a resumed
    run reloads them."""
    import json

    from model.train import train

    config = load_config(None, ["model.image_size=64", "train.epochs=1",
                                "model.text_encoder=hashed", "model.text_dim=256",
                                "train.batch_size=64", "train.triplets_per_epoch=1280"])
    run = tmp_path / "run"
    result = train(trained.data, "nondisjoint", run, config, cache_dir=trained.cache,
                   progress=False)
    assert result.epochs_run == 1
    steps = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()
             if '"vse_loss"' in line]
    assert steps and all(s["vse_loss"] > 0 for s in steps)
    assert all(s["text_similarity_loss"] >= 0 for s in steps)
    state = load_checkpoint(run / "last.pt")
    assert state["text_branch"]["hidden.weight"].shape == (128, 256)
    # the served model is the image side alone: the text branch stays in the run
    model = load_trained(run)
    assert set(model.head.state_dict()) == set(load_trained(trained.run).head.state_dict())
    more = config.model_copy(update={"train": config.train.model_copy(update={"epochs": 2})})
    assert train(trained.data, "nondisjoint", run, more, resume=True, cache_dir=trained.cache,
                 progress=False).epochs_run == 1


def test_a_local_weights_file_in_the_config_is_used_and_exported(trained, tmp_path):
    """`model.backbone_weights`: torchvision backbones offline. The file's weights make the
    features, and the export carries the file, so serving needs no download either."""
    from index.build import build_index
    from model.export import load_exported
    from model.train import train

    backbone, _ = create_backbone("resnet18", pretrained=False, keep_classifier=True)
    weights = tmp_path / "resnet18-local.pth"
    torch.save(backbone.state_dict(), weights)
    config = load_config(None, ["model.backbone=resnet18", f"model.backbone_weights={weights}",
                                "model.image_size=64", "train.epochs=1"])
    run = tmp_path / "run"
    train(trained.data, "nondisjoint", run, config, cache_dir=trained.cache, progress=False)
    model = load_trained(run)
    assert model.backbone_weights == weights
    build_index(run, trained.data, tmp_path / "bundle", cache_dir=trained.cache)
    exported = load_exported(tmp_path / "bundle" / "model")
    assert (tmp_path / "bundle" / "model" / "backbone.pth").is_file()
    assert exported.model_hash == model.model_hash()
    torch.testing.assert_close(exported.backbone.conv1.weight, backbone.conv1.weight)
