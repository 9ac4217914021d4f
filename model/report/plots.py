"""PNG plots of the training curves and the per-type accuracy.

matplotlib's object API (Figure, not pyplot): no global figure state and no backend to
select, so a report can be built inside a server or a test without touching the display.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from model.report.curves import Curves

# One colour per run, the same in every plot: the model, then its ablation.
COLOURS = ("#1f5fa8", "#d9731a")
DPI = 110


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight")
    return out.getvalue()


def _figure() -> tuple[Figure, object]:
    fig = Figure(figsize=(5.6, 3.4))
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    return fig, ax


def loss_plot(series: Sequence[tuple[str, Curves]]) -> bytes:
    """Training loss against optimiser steps: every logged step faintly, each epoch's mean
    as a marked line at the step where the epoch ended."""
    fig, ax = _figure()
    for (label, c), colour in zip(series, COLOURS, strict=False):
        if c.steps:
            ax.plot(c.steps, c.step_loss, color=colour, alpha=0.3, linewidth=0.8)
        if c.epochs:
            ax.plot(c.epoch_end_steps, c.train_loss, color=colour, marker="o", markersize=3,
                    label=f"{label}: epoch mean")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("training loss")
    ax.set_title("Training loss")
    if any(c.epochs for _, c in series):
        ax.legend(fontsize=8)
    return _png(fig)


def epoch_plot(series: Sequence[tuple[str, Curves]], metric: str) -> bytes:
    """A validation metric per epoch (`fitb` or `auc`), the best epoch of each run ringed."""
    fig, ax = _figure()
    title = {"fitb": "Validation FITB accuracy", "auc": "Validation compatibility AUC"}[metric]
    for (label, c), colour in zip(series, COLOURS, strict=False):
        values = c.valid_fitb if metric == "fitb" else c.valid_auc
        if not values:
            continue
        ax.plot(c.epochs, values, color=colour, marker="o", markersize=3, label=label)
        best = c.best_epoch()
        if best is not None:
            k = c.epochs.index(best)
            ax.plot([best], [values[k]], marker="o", markersize=10, markerfacecolor="none",
                    markeredgecolor=colour, linestyle="none")
    ax.set_xlabel("epoch")
    ax.set_ylabel(title.split(" ", 1)[1])
    ax.set_title(title + " (ringed: best.pt)")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if any(c.epochs for _, c in series):
        ax.legend(fontsize=8)
    return _png(fig)


def by_type_plot(types: Sequence[str], columns: Sequence[tuple[str, Sequence[float]]]) -> bytes:
    """Grouped horizontal bars: FITB accuracy by the blank's type, one bar per run."""
    fig = Figure(figsize=(5.6, 0.45 * len(types) + 1.2))
    ax = fig.add_subplot()
    height = 0.8 / max(len(columns), 1)
    for k, ((label, values), colour) in enumerate(zip(columns, COLOURS, strict=False)):
        ys = [i + (k - (len(columns) - 1) / 2) * height for i in range(len(types))]
        ax.barh(ys, [0 if math.isnan(v) else v for v in values], height=height, color=colour,
                label=label)
    ax.set_yticks(range(len(types)), labels=list(types))
    ax.invert_yaxis()  # first type on top, as in the table
    ax.set_xlim(0, 1)
    ax.set_xlabel("FITB accuracy")
    ax.set_title("FITB accuracy by the blank's type")
    ax.grid(True, axis="x", alpha=0.3)
    if len(columns) > 1:  # below the axes: inside, it would hide the bars of some type
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)
    return _png(fig)
