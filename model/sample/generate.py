"""The sample catalog end to end: items, outfits of both splits, task files, and the folder
in the Polyvore Outfits layout (`lookbook sample --out DIR --seed N`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.data.types import SPLITS, SUBSETS
from model.sample.catalog import SampleItem, build_catalog, unique_ids
from model.sample.config import SampleConfig, SampleSummary
from model.sample.outfits import SampleOutfit, draw_outfits, item_pools, subset_sizes
from model.sample.tasks import N_ANSWERS, build_compatibility, build_fitb
from model.sample.write import write_layout

_TITLE_WORDS = (
    ("weekend", "city", "summer", "autumn", "spring", "winter", "everyday", "travel", "sunday"),
    ("look", "outfit", "style", "set", "edit", "mood"),
)


@dataclass
class Sample:
    """Everything the folder holds, plus the hidden rules' labels (item and outfit styles)
    that the folder does not, for tests and for studying where a model fails."""

    seed: int
    config: SampleConfig
    items: list[SampleItem]
    outfit_titles: dict[str, dict[str, str]]
    # split -> subset -> records
    outfits: dict[str, dict[str, list[SampleOutfit]]]
    fitb: dict[str, dict[str, list[dict]]]
    compatibility: dict[str, dict[str, list[str]]]
    lookalike_share: dict[str, float]


def _outfit_titles(set_ids: list[str], empty_rate: float, rng) -> dict[str, dict[str, str]]:
    titles = {}
    for set_id in set_ids:
        words = [w[rng.integers(len(w))] for w in _TITLE_WORDS]
        title = "" if rng.random() < empty_rate else " ".join(words).capitalize()
        titles[set_id] = {"url_name": "-".join(words), "title": title}
    return titles


def build_sample(seed: int = 0, config: SampleConfig | None = None) -> Sample:
    """The whole sample catalog in memory; the same seed and config give the same catalog."""
    config = config or SampleConfig()
    # One independent stream per stage, so that changing one stage leaves the others' draws.
    catalog_rng, ids_rng, nd_rng, dj_rng, task_rng, title_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)
    )
    items = build_catalog(config.n_items, config.empty_text_rate, catalog_rng)
    sizes = subset_sizes(config.n_outfits, config.subset_fractions)
    set_ids = unique_ids(ids_rng, 2 * config.n_outfits, taken={i.item_id for i in items})

    # nondisjoint: outfits over the whole catalog, cut at random, so items recur across subsets.
    nd = draw_outfits(items, set_ids[: config.n_outfits], config.index_gap_rate, nd_rng)
    starts = np.cumsum((0, *sizes))
    outfits = {"nondisjoint": {s: nd[starts[k] : starts[k + 1]] for k, s in enumerate(SUBSETS)}}

    # disjoint: items partitioned first, then each subset dressed from its own pool only.
    pools = item_pools(items, config.subset_fractions, dj_rng)
    dj_ids = iter(set_ids[config.n_outfits :])
    outfits["disjoint"] = {
        subset: draw_outfits(pool, [next(dj_ids) for _ in range(n)], config.index_gap_rate, dj_rng)
        for subset, pool, n in zip(SUBSETS, pools, sizes, strict=True)
    }

    by_id = {item.item_id: item for item in items}
    fitb: dict[str, dict[str, list[dict]]] = {}
    compatibility: dict[str, dict[str, list[str]]] = {}
    lookalike_share: dict[str, float] = {}
    for split in SPLITS:
        fitb[split], compatibility[split] = {}, {}
        n_lookalike = n_wrong = 0
        for subset in SUBSETS:
            questions, n_similar = build_fitb(
                outfits[split][subset], by_id, config.n_lookalikes, task_rng
            )
            fitb[split][subset] = questions
            n_lookalike += n_similar
            n_wrong += (N_ANSWERS - 1) * len(questions)
            compatibility[split][subset] = build_compatibility(
                outfits[split][subset], by_id, task_rng
            )
        lookalike_share[split] = n_lookalike / max(n_wrong, 1)

    all_outfits = [o for split in SPLITS for subset in SUBSETS for o in outfits[split][subset]]
    titles = _outfit_titles(
        sorted(o.set_id for o in all_outfits), config.empty_text_rate, title_rng
    )
    return Sample(seed, config, items, titles, outfits, fitb, compatibility, lookalike_share)


def write_sample(out: Path, seed: int = 0, config: SampleConfig | None = None) -> SampleSummary:
    """Write a sample catalog in the Polyvore Outfits layout to `out`, which must not exist
    or be empty. The same seed and config give byte-identical files."""
    sample = build_sample(seed, config)
    write_layout(sample, Path(out))
    return SampleSummary(
        n_items=len(sample.items),
        n_images=len(sample.items),
        n_outfits={
            split: {s: len(v) for s, v in subsets.items()}
            for split, subsets in sample.outfits.items()
        },
        n_fitb={
            split: {s: len(v) for s, v in subsets.items()} for split, subsets in sample.fitb.items()
        },
        n_compatibility={
            split: {s: len(v) for s, v in subsets.items()}
            for split, subsets in sample.compatibility.items()
        },
        lookalike_share=dict(sample.lookalike_share),
    )
