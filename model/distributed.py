"""Distributed data parallel, switched on by torchrun's environment (RANK, WORLD_SIZE,
LOCAL_RANK): gloo on CPU, NCCL on GPUs. Without it every helper is a no-op, so the one
training loop serves a laptop, one GPU and a cluster alike. Rank 0 does all the I/O."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def init_distributed(use_cuda: bool) -> Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    return Dist(rank=dist.get_rank(), world=dist.get_world_size(), local_rank=local_rank)


def barrier(d: Dist) -> None:
    if d.enabled:
        dist.barrier()


def all_reduce_sum(tensor: torch.Tensor, d: Dist) -> torch.Tensor:
    if d.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def broadcast_flag(flag: bool, d: Dist) -> bool:
    """Rank 0's decision, for every rank (early stopping must stop them all together)."""
    if not d.enabled:
        return flag
    value = torch.tensor([1 if flag else 0])
    dist.broadcast(value, src=0)
    return bool(value.item())


def shutdown(d: Dist) -> None:
    if d.enabled and dist.is_initialized():
        dist.destroy_process_group()
