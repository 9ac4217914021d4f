"""The training curves of a run, read from its metrics.jsonl (model/train.py writes one
record every few steps and one per epoch)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

METRICS_FILE = "metrics.jsonl"


@dataclass(frozen=True)
class Curves:
    """Step records carry `loss`; epoch records carry `train_loss` and `valid_*`."""

    steps: list[int] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)  # 1-based, as the training log prints them
    epoch_end_steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    valid_fitb: list[float] = field(default_factory=list)
    valid_auc: list[float] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps and not self.epochs

    def best_epoch(self) -> int | None:
        """The epoch best.pt holds: the first with the highest validation FITB."""
        if not self.valid_fitb:
            return None
        best = max(range(len(self.valid_fitb)), key=lambda i: (self.valid_fitb[i], -i))
        return self.epochs[best]


def read_curves(run_dir: Path) -> Curves:
    """Curves of `run_dir`; a run without a log (copied checkpoints only) gives empty ones,
    and a torn last line, as a killed run leaves, is skipped."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return Curves()
    curves = Curves()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if "train_loss" in record:
            curves.epochs.append(int(record["epoch"]) + 1)
            curves.epoch_end_steps.append(int(record.get("step", 0)))
            curves.train_loss.append(float(record["train_loss"]))
            curves.valid_fitb.append(float(record.get("valid_fitb_accuracy", float("nan"))))
            curves.valid_auc.append(float(record.get("valid_compatibility_auc", float("nan"))))
        elif "loss" in record and "step" in record:
            curves.steps.append(int(record["step"]))
            curves.step_loss.append(float(record["loss"]))
    return curves
