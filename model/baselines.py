"""Baselines that need no training, read straight from a Polyvore Outfits folder. They set
the floor a learned model has to clear, and prove that the sample catalog cannot be solved by
colour alone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from model.color import color_histogram


def _name_to_item(split_dir: Path, subset: str) -> dict[str, str]:
    """`<set_id>_<index>` -> item id, through the outfits of the same subset."""
    outfits = json.loads((split_dir / f"{subset}.json").read_text(encoding="utf-8"))
    return {
        f"{outfit['set_id']}_{entry['index']}": entry["item_id"]
        for outfit in outfits
        for entry in outfit["items"]
    }


def color_histogram_fitb(data_root: Path, split: str, subset: str = "test") -> dict:
    """FITB by colour alone: per question, the candidate whose colour histogram has the
    smallest mean L1 distance to the histograms of the question's items.

    Returns {"fitb_accuracy", "n_fitb"}."""
    data_root = Path(data_root)
    split_dir = data_root / split
    item_of = _name_to_item(split_dir, subset)
    questions = json.loads((split_dir / f"fill_in_blank_{subset}.json").read_text(encoding="utf-8"))
    if not questions:
        return {"fitb_accuracy": float("nan"), "n_fitb": 0}

    needed = sorted({item_of[n] for q in questions for n in (*q["question"], *q["answers"])})
    row = {item_id: k for k, item_id in enumerate(needed)}
    hists = np.stack(
        [color_histogram(Image.open(data_root / "images" / f"{i}.jpg")) for i in needed]
    )

    # Questions differ in length: pad to the longest and mask the padding out of the mean.
    width = max(len(q["question"]) for q in questions)
    context = np.zeros((len(questions), width), dtype=np.int64)
    present = np.zeros((len(questions), width), dtype=bool)
    for k, q in enumerate(questions):
        context[k, : len(q["question"])] = [row[item_of[n]] for n in q["question"]]
        present[k, : len(q["question"])] = True
    candidates = np.array([[row[item_of[n]] for n in q["answers"]] for q in questions])

    # (questions, candidates, context items) L1 distances, then the mean over real items.
    l1 = np.abs(hists[candidates][:, :, None, :] - hists[context][:, None, :, :]).sum(axis=-1)
    mean_l1 = (l1 * present[:, None, :]).sum(axis=-1) / present.sum(axis=-1, keepdims=True)
    picked = mean_l1.argmin(axis=1)

    set_ids = [q["question"][0].rsplit("_", 1)[0] for q in questions]
    correct = [
        q["answers"][p].rsplit("_", 1)[0] == s
        for q, p, s in zip(questions, picked, set_ids, strict=True)
    ]
    return {"fitb_accuracy": float(np.mean(correct)), "n_fitb": len(questions)}
