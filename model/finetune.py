"""The trainable image side of fine-tuning: uint8 pixels in, backbone features out.

Augmentation and normalisation run on the device the images live on, batched: a random
flip, shift and scale per image through one `grid_sample`, so a GPU never waits for CPU
image transforms. Which backbone weights train is the config's `model.finetune`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from model.backbones import BackboneSpec

# Shifts up to 8% of the side and scales of 0.9-1.1: product photos are centred and
# letterboxed, so larger crops would cut garments rather than vary them.
MAX_SHIFT = 0.08
SCALE_RANGE = (0.9, 1.1)


def last_stage(name: str, backbone: nn.Module) -> list[nn.Module]:
    """The modules that train under `finetune=last`: the final stage and what follows it."""
    if name.startswith("efficientnet_lite"):
        return [backbone.blocks[-1], backbone.conv_head, backbone.bn2]
    if name == "resnet18":
        return [backbone.layer4]
    if name == "vgg13":
        features = backbone[0]  # Sequential(features, pool, flatten): see backbones.py
        pools = [i for i, m in enumerate(features) if isinstance(m, nn.MaxPool2d)]
        return [features[pools[-2] + 1:]]  # the conv5 block
    raise ValueError(f"no fine-tuning stages known for backbone {name!r}")


def set_trainable(name: str, backbone: nn.Module, scope: str) -> list[nn.Parameter]:
    """Freeze the backbone but for `scope` ('last' or 'all'); returns the trainable params."""
    backbone.requires_grad_(False)
    modules = [backbone] if scope == "all" else last_stage(name, backbone)
    for module in modules:
        module.requires_grad_(True)
    return [p for p in backbone.parameters() if p.requires_grad]


def freeze_batchnorm(module: nn.Module) -> None:
    """Keep ImageNet running statistics: batches of a few hundred garment photos on white
    would replace them with statistics of white backgrounds. Affine weights still train."""
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.eval()


class ImageEncoder(nn.Module):
    """(B, S, S, 3) uint8 -> (B, feature_dim) pooled backbone features."""

    def __init__(self, backbone: nn.Module, spec: BackboneSpec, augment: bool):
        super().__init__()
        self.backbone = backbone
        self.spec = spec
        self.augment = augment
        self.register_buffer("mean", torch.tensor(spec.mean).view(1, 3, 1, 1) * 255.0,
                             persistent=False)
        self.register_buffer("std", torch.tensor(spec.std).view(1, 3, 1, 1) * 255.0,
                             persistent=False)

    def train(self, mode: bool = True) -> ImageEncoder:
        super().train(mode)
        freeze_batchnorm(self.backbone)
        return self

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        # NHWC uint8 permuted to NCHW is already channels-last in memory: no copy
        x = pixels.permute(0, 3, 1, 2).float()
        if self.training and self.augment:
            x = random_affine(x)
        x = ((x - self.mean) / self.std).contiguous(memory_format=torch.channels_last)
        return self.backbone(x)


def random_affine(x: torch.Tensor) -> torch.Tensor:
    """Per image: horizontal flip with p = 0.5, shift and scale; white fills the border."""
    b = x.shape[0]
    flip = torch.where(torch.rand(b, device=x.device) < 0.5, -1.0, 1.0)
    lo, hi = SCALE_RANGE
    scale = lo + (hi - lo) * torch.rand(b, device=x.device)
    shift = (torch.rand(b, 2, device=x.device) * 2 - 1) * MAX_SHIFT * 2  # grid units: [-1, 1]
    theta = torch.zeros(b, 2, 3, device=x.device)
    theta[:, 0, 0] = flip / scale
    theta[:, 1, 1] = 1.0 / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # grid_sample pads with zeros: sample the image minus white, so the padding is white
    return F.grid_sample(x - 255.0, grid, align_corners=False) + 255.0


class FeatureSource:
    """What the head reads for a batch of catalog rows: cached features of a frozen backbone,
    or the encoder's features of the rows' images with their cached colour histograms."""

    def __init__(self, features: torch.Tensor, pixels=None, colour: torch.Tensor | None = None):
        self.features = features  # (N, F) on the device: frozen features, or the initial ones
        self.pixels = pixels  # (N, S, S, 3) uint8: a device tensor or a host memory map
        self.colour = colour  # (N, 64) on the device, or None

    @property
    def finetuning(self) -> bool:
        return self.pixels is not None

    def batch(self, rows: torch.Tensor, encoder: nn.Module | None) -> torch.Tensor:
        if encoder is None:
            return self.features[rows]
        from model.images import pixel_rows

        device = self.features.device
        images = pixel_rows(self.pixels, rows).to(device, non_blocking=True)
        cnn = encoder(images)
        if self.colour is None:
            return cnn
        return torch.cat([cnn, self.colour[rows].to(cnn.dtype)], dim=1)

    def all_features(self, encoder: nn.Module | None, autocast, batch_size: int = 256):
        """Every catalog row's features under the current weights (validation, export)."""
        if encoder is None:
            return self.features
        was_training = encoder.training
        encoder.eval()
        rows = torch.arange(len(self.features), device=self.features.device)
        with torch.inference_mode(), autocast():
            out = torch.cat([self.batch(r, encoder).float() for r in rows.split(batch_size)])
        encoder.train(was_training)
        return out
