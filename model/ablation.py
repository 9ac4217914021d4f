"""SAT against its lambda = 0 ablation: both trained with the same seeds and data, evaluated
on the same subset, reported side by side as mean and spread (docs/method.md: always report
SAT beside lambda = 0, over several seeds)."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

from model.config import load_config
from model.evaluate import evaluate_run
from model.train import train

VARIANTS = (("SAT", "loss.sat_lambda=1"), ("lambda=0", "loss.sat_lambda=0"))
METRICS = ("fitb_accuracy", "compatibility_auc", "recall@10")


def run_ablation(
    data: Path, split: str, out: Path, *, seeds: Sequence[int] = (0, 1, 2),
    overrides: Sequence[str] = (), subset: str = "test", cache_dir: Path | None = None,
    preset: str = "offline", report: Callable[[dict], None] = lambda row: None,
) -> list[dict]:
    """Train and evaluate every (variant, seed) into out/<variant>-seed<k>; an existing run
    folder is resumed, so a killed ablation picks up where it stopped."""
    rows = []
    for seed in seeds:
        for name, setting in VARIANTS:
            run = Path(out) / f"{name.replace('=', '')}-seed{seed}"
            config = load_config(None, [*overrides, setting, f"train.seed={seed}"], preset=preset)
            train(data, split, run, config, resume=True, cache_dir=cache_dir, progress=False)
            metrics = evaluate_run(run, data, split, subset, cache_dir=cache_dir)
            row = {"variant": name, "seed": seed, "run": str(run),
                   **{m: metrics.get(m) for m in METRICS},
                   "hard_fitb": metrics["hard_fitb"]["accuracy"]}
            rows.append(row)
            report(row)
    return rows


def side_by_side(rows: list[dict]) -> str:
    """A markdown table: one row per variant, mean ± standard deviation over seeds."""
    metrics = [*METRICS, "hard_fitb"]
    lines = ["| variant | " + " | ".join(metrics) + " | seeds |",
             "|---|" + "---|" * (len(metrics) + 1)]
    for name, _ in VARIANTS:
        sel = [r for r in rows if r["variant"] == name]
        if sel:
            cells = [mean_sd([r[m] for r in sel]) for m in metrics]
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {len(sel)} |")
    return "\n".join(lines)


def mean_sd(values: Sequence[float | None]) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"
