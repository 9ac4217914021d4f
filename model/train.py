"""The training job: one readable loop, over cached features of a frozen backbone or over
images through a backbone being fine-tuned.

Runs on CPU, one GPU, or several under torchrun (DDP); bf16 autocast and channels-last on
GPU; checkpoints atomically with everything needed to resume mid-epoch.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from model import losses
from model.catalog import catalog_features
from model.config import RunConfig
from model.data.check import check_dataset
from model.data.errors import DatasetError
from model.data.polyvore import load_polyvore
from model.data.triplets import TripletSampler
from model.distributed import (
    Dist,
    all_reduce_sum,
    barrier,
    broadcast_flag,
    init_distributed,
    shutdown,
)
from model.evaluate import evaluate_tasks, task_arrays
from model.finetune import FeatureSource, ImageEncoder, set_trainable
from model.io import atomic_write_text, remove_torn_writes
from model.net import SATHead
from model.run import BEST, LAST, TrainedModel, load_checkpoint, save_checkpoint, write_config
from model.scoring import pair_distance
from model.text_branch import TextBranch, TextSide

STEP_LOG_EVERY = 20


@dataclass
class TrainResult:
    run_dir: Path
    best_epoch: int
    best_valid: dict
    epochs_run: int
    seconds: float


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("train.device=cuda but no CUDA device is visible; use train.device=cpu")
    return torch.device(name)


class _Log:
    """metrics.jsonl; with no path (ranks other than 0) it writes nothing."""

    def __init__(self, path: Path | None):
        self._file = path.open("a", encoding="utf-8") if path is not None else None

    def write(self, record: dict) -> None:
        if self._file is not None:
            self._file.write(json.dumps(record) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def resolve_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for fp32."""
    if name == "bf16":
        return torch.bfloat16
    if name == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


def _autocast(device: torch.device, dtype: torch.dtype | None):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


class TripletForward(torch.nn.Module):
    """One forward for the whole step: DDP expects a single forward per backward, and the
    masks and the encoder must be used inside it so their gradients are synchronised too."""

    def __init__(self, head: SATHead, source: FeatureSource, encoder: ImageEncoder | None,
                 autocast, text: TextSide | None = None):
        super().__init__()
        self.head = head
        self.encoder = encoder
        self.source = source
        self.autocast = autocast
        self.text_branch = text.branch if text is not None else None
        self.text = text

    def forward(self, rows: torch.Tensor):
        """General embeddings of `rows`, the masks, and the rows' projected texts (or None)."""
        with self.autocast():
            embeddings = self.head(self.source.batch(rows, self.encoder))
            texts = None
            if self.text_branch is not None:
                texts = self.text_branch(self.text.features[rows]).float()
        # losses in fp32: bf16's 8-bit mantissa is too coarse for margins of distances
        return embeddings.float(), self.head.space_masks(), texts


def build_encoder(config: RunConfig, device: torch.device, *, pretrained: bool = True
                  ) -> tuple[ImageEncoder, list]:
    """The backbone being fine-tuned, and its trainable parameters (`model.finetune`)."""
    from model.backbones import create_backbone

    mc = config.model
    weights = mc.backbone_weights
    backbone, spec = create_backbone(mc.backbone, pretrained=pretrained,
                                     weights_path=weights and Path(weights))
    trainable = set_trainable(mc.backbone, backbone, mc.finetune)
    encoder = ImageEncoder(backbone, spec, config.train.augment)
    return encoder.to(device, memory_format=torch.channels_last).train(), trainable


def train(
    data_root: Path,
    split: str,
    run_dir: Path,
    config: RunConfig,
    *,
    resume: bool = False,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> TrainResult:
    started = time.perf_counter()
    problems = check_dataset(Path(data_root), splits=(split,))
    if problems:
        raise DatasetError(f"{data_root} is not a usable dataset", problems)
    data = load_polyvore(Path(data_root), split)
    run_dir = Path(run_dir)
    if not resume and (run_dir / LAST).exists():
        raise FileExistsError(
            f"{run_dir} already holds a run: pass --resume to continue it, or choose a new --out"
        )
    tc = config.train
    device = resolve_device(tc.device)
    d = init_distributed(device.type == "cuda")
    if d.enabled and device.type == "cuda":
        device = torch.device("cuda", d.local_rank)
    progress = progress and d.is_main
    if d.is_main:
        run_dir.mkdir(parents=True, exist_ok=True)
        write_config(run_dir, config, {"split": split, "data": str(data_root),
                                       "types": data.types, "world_size": d.world})
    torch.manual_seed(tc.seed)
    if not d.is_main:
        barrier(d)  # rank 0 extracts and caches the features; the others then read the cache
    catalog = catalog_features(data, config, cache_dir, progress)
    pixels = _pixels(data, config, catalog, cache_dir, progress)  # None unless fine-tuning
    text = _text_side(data, config, catalog, cache_dir, progress)  # None unless text is on
    if d.is_main:
        barrier(d)
    item_index, item_types, features = catalog.item_index, catalog.item_types, catalog.features
    train_outfits = data.split.outfits["train"]
    train_items = sorted({item_index[i] for o in train_outfits for i in o.item_ids})

    head = SATHead(config.model, features.shape[1], len(data.types))
    # the initial backbone's features: a fine-tuned backbone starts from them too
    head.set_feature_statistics(features[train_items])
    sampler = TripletSampler(train_outfits, item_index, item_types.numpy(), seed=tc.seed)
    encoder, groups = None, [{"params": list(head.parameters()), "lr": tc.learning_rate}]
    if config.model.finetune != "none":
        encoder, trainable = build_encoder(config, device)
        groups.append({"params": trainable,
                       "lr": tc.backbone_learning_rate or tc.learning_rate})
    if text is not None:
        groups.append({"params": list(text.branch.parameters()), "lr": tc.learning_rate})
    optimizer = torch.optim.Adam(groups, weight_decay=tc.weight_decay)
    difficulty = torch.zeros(len(train_outfits))
    seen = torch.zeros(len(train_outfits), dtype=torch.bool)
    # `progress` is where the loop stands: epoch, the next batch inside it, the optimiser step
    # count, the epoch's loss so far and the best validation seen, all saved in checkpoints.
    pos = {"epoch": 0, "batch": 0, "step": 0, "epoch_loss": 0.0, "best_fitb": -1.0,
           "best_epoch": -1, "bad_epochs": 0}
    best_valid: dict = {}

    if resume and (run_dir / LAST).exists():
        state = load_checkpoint(run_dir / LAST)
        head.load_state_dict(state["model"])
        if encoder is not None:
            encoder.backbone.load_state_dict(state["backbone"])
        if text is not None:
            text.branch.load_state_dict(state["text_branch"])
        optimizer.load_state_dict(state["optimizer"])
        difficulty, seen = state["difficulty"], state["difficulty_seen"]
        torch.set_rng_state(state["rng"])
        pos = json.loads(state["position"])
        best_valid = json.loads(state["best_valid"])
    barrier(d)  # every rank has read last.pt before rank 0 writes a new one
    if d.is_main and resume:
        _truncate_log(run_dir / "metrics.jsonl", pos["step"])
        for name in (LAST, BEST):  # a kill inside a checkpoint write leaves its temp file
            remove_torn_writes(run_dir / name)

    head.to(device)
    autocast = partial(_autocast, device, resolve_precision(tc.precision, device))
    types_dev = item_types.to(device)
    source = FeatureSource(features.to(device))
    if encoder is not None:
        source = _finetune_source(config, catalog, pixels, device)
    if text is not None:
        text = text.to(device)
    step_module: torch.nn.Module = TripletForward(head, source, encoder, autocast, text)
    if d.enabled:
        step_module = DistributedDataParallel(
            step_module, device_ids=[device.index] if device.type == "cuda" else None)
    valid_tasks = task_arrays(data, "valid", item_index)
    log = _Log(run_dir / "metrics.jsonl") if d.is_main else _Log(None)
    trained = TrainedModel(config=config, types=data.types, head=head, data_split=split)

    def checkpoint(path: Path) -> None:
        save_checkpoint(path, {
            "config": config.model_dump(), "types": list(data.types), "split": split,
            "in_dim": int(features.shape[1]), "model": _cpu_state(head),
            **({"backbone": _cpu_state(encoder.backbone)} if encoder is not None else {}),
            **({"text_branch": _cpu_state(text.branch)} if text is not None else {}),
            "optimizer": optimizer.state_dict(), "difficulty": difficulty,
            "difficulty_seen": seen, "rng": torch.get_rng_state(),
            "position": json.dumps(pos), "epoch": pos["epoch"], "step": pos["step"],
            "best_fitb": pos["best_fitb"], "best_epoch": pos["best_epoch"],
            "best_valid": json.dumps(best_valid),
        })

    first_epoch = pos["epoch"]
    try:
        while pos["epoch"] < tc.epochs:
            epoch = pos["epoch"]
            step_module.train()
            triplets = sampler.sample(epoch)  # shuffled, reproducible from (seed, epoch)
            cap = tc.triplets_per_epoch or len(triplets)
            columns = [torch.as_tensor(x)[:cap] for x in
                       (triplets.anchor, triplets.positive, triplets.negative, triplets.outfit)]
            n_batches = (len(columns[0]) + tc.batch_size - 1) // tc.batch_size
            bar = tqdm(
                range(pos["batch"], n_batches), desc=f"epoch {epoch + 1}/{tc.epochs}",
                unit="batch", initial=pos["batch"], total=n_batches, file=sys.stderr,
                # bars only on a terminal: in CI logs they are thousands of lines
                disable=not (progress and sys.stderr.isatty()), leave=False,
            )
            for b in bar:
                sl = slice(b * tc.batch_size, (b + 1) * tc.batch_size)
                # each rank takes every world-th triplet of the global batch
                a, p, n, o = (c[sl][d.rank :: d.world] for c in columns)
                parts = step_losses(
                    step_module, head, types_dev, a, p, n, o, difficulty, seen, config, d,
                    text,
                )
                optimizer.zero_grad(set_to_none=True)
                parts["loss"].backward()
                optimizer.step()
                pos["step"] += 1
                pos["batch"] = b + 1
                pos["epoch_loss"] += parts["loss"].item()
                if pos["step"] % STEP_LOG_EVERY == 0:
                    log.write({"step": pos["step"], "epoch": epoch,
                               **{k: v.item() for k, v in parts.items()}})
                    bar.set_postfix(loss=f"{parts['loss'].item():.4f}")
                if d.is_main and tc.checkpoint_every and pos["step"] % tc.checkpoint_every == 0:
                    checkpoint(run_dir / LAST)  # a kill from here on loses at most this much
            if not d.is_main:
                stop = broadcast_flag(False, d)
                pos.update(epoch=tc.epochs if stop else epoch + 1, batch=0, epoch_loss=0.0)
                continue
            valid = _validate(trained, source.all_features(encoder, autocast), types_dev,
                              valid_tasks)
            record = {"epoch": epoch, "step": pos["step"],
                      "train_loss": pos["epoch_loss"] / max(n_batches, 1),
                      **{f"valid_{k}": v for k, v in valid.items()}}
            improved = valid["fitb_accuracy"] > pos["best_fitb"]
            if improved:
                pos["best_fitb"], pos["best_epoch"] = valid["fitb_accuracy"], epoch
                best_valid = valid
            pos["bad_epochs"] = 0 if improved else pos["bad_epochs"] + 1
            stop = broadcast_flag(bool(tc.patience) and pos["bad_epochs"] >= tc.patience, d)
            pos.update(epoch=epoch + 1, batch=0, epoch_loss=0.0)
            if stop:
                pos["epoch"] = tc.epochs  # a resumed run must not train on past early stop
            if improved:  # best first: a kill between the two writes never loses the best
                checkpoint(run_dir / BEST)
            checkpoint(run_dir / LAST)
            log.write(record)
            if progress:
                tqdm.write(
                    f"epoch {epoch + 1}/{tc.epochs}  loss {record['train_loss']:.4f}  "
                    f"valid FITB {valid['fitb_accuracy']:.3f}  "
                    f"AUC {valid['compatibility_auc']:.3f}",
                    file=sys.stderr,
                )
    finally:
        log.close()
        shutdown(d)
    return TrainResult(run_dir, pos["best_epoch"], best_valid, pos["epoch"] - first_epoch,
                       time.perf_counter() - started)


def _truncate_log(path: Path, step: int) -> None:
    """Drop the records written after the checkpoint a run resumes from, so the log reads as
    one uninterrupted run."""
    if not path.exists():
        return
    kept = [line for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and _record_step(line) <= step]
    atomic_write_text(path, "".join(line + "\n" for line in kept))


def _record_step(line: str) -> int:
    try:
        return int(json.loads(line).get("step", 0))
    except (ValueError, AttributeError):
        return 1 << 62  # a torn last line from the kill: drop it


def _cpu_state(module: torch.nn.Module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in module.state_dict().items()}


def _validate(trained: TrainedModel, features, item_types, tasks) -> dict:
    embeddings = trained.embed(features)
    return evaluate_tasks(trained.scorer(embeddings, item_types), tasks)


def _text_side(data, config: RunConfig, catalog, cache_dir, progress: bool) -> TextSide | None:
    if config.model.text_encoder == "none":
        return None
    from model.catalog import default_cache_dir
    from model.text import cached_text_features, catalog_texts

    texts = catalog_texts(data, catalog.item_ids)
    features = cached_text_features(texts, encoder=config.model.text_encoder,
                                    dim=config.model.text_dim,
                                    cache_dir=Path(cache_dir or default_cache_dir()),
                                    progress=None if progress else False)
    branch = TextBranch(features.features.shape[1], config.model.embedding_dim)
    return TextSide.build(branch, features.features, features.has_text, texts)


def _pixels(data, config: RunConfig, catalog, cache_dir, progress: bool):
    if config.model.finetune == "none":
        return None
    from model.catalog import default_cache_dir
    from model.images import cached_pixels

    return cached_pixels(data.root, catalog.item_ids, config.model.image_size,
                         Path(cache_dir or default_cache_dir()),
                         progress=None if progress else False)


def _finetune_source(config: RunConfig, catalog, pixels, device: torch.device) -> FeatureSource:
    from model.backbones import get_spec

    if device.type == "cuda":
        # resident on the GPU as uint8 (Polyvore at 112 px: 9.4 GB); batches are gathered
        # and augmented there, never decoded per step
        pixels = torch.from_numpy(pixels[:]).to(device)
    features = catalog.features.to(device)
    cnn_dim = get_spec(config.model.backbone).feature_dim
    colour = features[:, cnn_dim:] if config.model.color_features else None
    return FeatureSource(features, pixels=pixels, colour=colour)


def step_losses(step_module, head: SATHead, item_types, a, p, n, o, difficulty, seen, config,
                 d: Dist, text: TextSide | None = None):
    mc, lc = config.model, config.loss
    dev = item_types.device
    a, p, n = a.to(dev), p.to(dev), n.to(dev)
    rows = torch.cat([a, p, n])
    embeddings, masks, texts = step_module(rows)
    f_a, f_p, f_n = embeddings.split(len(a))
    pair = head.pair_table[item_types[a], item_types[p]]
    d_ap = pair_distance(f_a, f_p, pair, masks, mc.normalize_spaces)
    d_an = pair_distance(f_a, f_n, pair, masks, mc.normalize_spaces)
    terms = losses.triplet_terms(d_ap, d_an, lc.margin)
    h = losses.difficulty_scores(f_a, f_p, f_n, lc)
    if lc.difficulty_scope == "outfit":
        # summed over ranks, so every rank keeps the same outfit difficulties
        total, count = losses.outfit_difficulty_sums(len(difficulty), o, h.cpu())
        total, count = all_reduce_sum(total, d), all_reduce_sum(count, d)
        losses.apply_outfit_difficulty(difficulty, seen, total, count, lc.difficulty_momentum)
        score = difficulty[o].to(dev)
    else:
        score = h
    weights = losses.sat_weights(score, lc)
    sat = losses.self_adaptive_triplet_loss(terms, weights)
    sim = losses.similarity_loss(f_a, f_p, f_n, lc.margin)
    l1 = losses.mask_l1(masks)
    l2 = losses.embedding_l2(f_a, f_p, f_n)
    total = sat + lc.similarity_weight * sim + lc.mask_l1_weight * l1 + lc.embedding_l2_weight * l2
    text_parts = {}
    if texts is not None:
        has, group = text.has_text[rows], text.groups[rows]
        # f(x) normalised: the projected texts are unit vectors, and the margin reads alike
        vse = losses.visual_semantic_loss(F.normalize(embeddings, dim=1), texts, has,
                                          lc.margin, groups=group)
        t_a, t_p, t_n = texts.split(len(a))
        h_a, h_p, h_n = has.split(len(a))
        tsim = losses.text_similarity_loss(t_a, t_p, t_n, h_a, h_p, h_n, lc.margin)
        total = total + lc.vse_weight * vse + lc.text_similarity_weight * tsim
        text_parts = {"vse_loss": vse, "text_similarity_loss": tsim}
    return {
        "loss": total,
        "sat_loss": sat,
        "similarity_loss": sim,
        "mask_l1": l1,
        "embedding_l2": l2,
        "triplet_accuracy": (d_ap < d_an).float().mean(),
        **text_parts,
    }
