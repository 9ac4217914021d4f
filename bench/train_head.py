"""Head-training speed (triplets/s) of the real training step, and the time of one evaluation
of 10,000 FITB questions, on a Polyvore-sized synthetic catalog of cached features.

The step is `model.train`'s own: `TripletForward` around a `SATHead` reading the cached
features (`FeatureSource`, frozen backbone: the `offline` preset), `step_losses` (SAT
loss with the per-outfit difficulty EMA, similarity, mask L1, embedding L2), then
`zero_grad`, `backward`, Adam `step` and the loss's `.item()`, as the training loop runs it,
with the loop's config (`--set` overrides as for `lookbook train`). Triplets come from
`TripletSampler` over the synthetic training outfits, in the shuffled order of epoch 0.
Each figure: warm-up steps, then the median of `--runs` runs of `--triplets` triplets each,
the configurations' runs taken in turn.

The evaluation is `model.evaluate.evaluate_tasks` (FITB accuracy and compatibility AUC) with
the trained head's scorer over the embeddings of the whole catalog, computed beforehand by
`TrainedModel.embed` (timed apart), as `_validate` does once per epoch. It runs twice: on
task outfits of the training outfits' lengths, and on Polyvore's compatibility lengths (2 to
19 items, `--long-sizes`), where padding every outfit to the longest costs most. Beside the
scorer's `compatibility_distances`, which computes only each outfit's own pairs, the padded
computation it replaced (`padded_compatibility_baseline`, kept here only as the baseline)
is timed on the same outfits and checked to give the same distances.

`--eval-only` skips the training-speed table: the head is then trained by as many real steps
of the default config as a full run gives it (a few seconds), and only the evaluation part of
the section is replaced in `--docs`.

Synthetic catalog: `--items` items of 11 types drawn uniformly, `--dim` float32 features
(uniform random: the speed of these dense steps does not depend on the values), `--outfits`
training outfits of 3 to 8 items of distinct types, each item drawn uniformly among its type;
FITB questions are further outfits with one item blanked and 3 random items of its type
beside it; compatibility outfits are further outfits, half of them with every item replaced
by a random item of its type. Outfits longer than the 11 types repeat types.

    OMP_WAIT_POLICY=PASSIVE flock /tmp/lookbook-bench.lock \
        python -m bench.train_head --docs docs/benchmarks.md
    OMP_WAIT_POLICY=PASSIVE flock /tmp/lookbook-bench.lock \
        python -m bench.train_head --eval-only --docs docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
import torch

from bench.docs import replace_section, run_header, uptime
from bench.runs import spread
from model.config import RunConfig, load_config
from model.data.triplets import TripletSampler
from model.data.types import POLYVORE_TYPES, Outfit
from model.distributed import Dist
from model.evaluate import TaskArrays, evaluate_tasks
from model.finetune import FeatureSource
from model.metrics import fitb_accuracy
from model.net import SATHead
from model.run import TrainedModel
from model.scoring import CHUNK, PAD, OutfitScorer, pad_index_lists
from model.train import TripletForward, _autocast, resolve_precision, step_losses

SECTION = "## Head training (issue 3)"
# the evaluation part of the section: `--eval-only` replaces it alone
EVAL_HEADING = "### Evaluation"
VARIANTS = {
    "default (SAT, lambda = 1)": [],
    "lambda = 0": ["loss.sat_lambda=0"],
    # not a config anyone trains with here: it shows what the per-outfit difficulty EMA costs
    "per-triplet difficulty": ["loss.difficulty_scope=triplet"],
}
# float32 means of the same pair distances summed in a different order
SAME_DISTANCES = {"rtol": 1e-5, "atol": 1e-6}


# -- synthetic catalog ---------------------------------------------------------------------
class Catalog:
    def __init__(self, args) -> None:
        rng = np.random.default_rng(args.seed)
        n_types = len(POLYVORE_TYPES)
        self.item_types = torch.from_numpy(rng.integers(0, n_types, args.items))
        self.features = torch.from_numpy(rng.random((args.items, args.dim), dtype=np.float32))
        types = self.item_types.numpy()
        self._rows_of = [np.flatnonzero(types == t) for t in range(n_types)]
        self._rng = rng
        self.sizes = (args.min_size, args.max_size)

    def outfits(self, count: int, sizes: tuple[int, int] | None = None) -> list[np.ndarray]:
        """Outfits as arrays of item rows, a uniform item of each type; the types distinct
        unless the outfit is longer than there are types (Polyvore's 19-item outfits must
        repeat some of its 11)."""
        rng, out = self._rng, []
        low, high = sizes or self.sizes
        n_types = len(self._rows_of)
        lengths = rng.integers(low, high + 1, count)
        for length in lengths:
            types = rng.choice(n_types, length, replace=bool(length > n_types))
            out.append(np.array([rng.choice(self._rows_of[t]) for t in types]))
        return out

    def same_type(self, rows: np.ndarray) -> np.ndarray:
        """A random item of each row's type (possibly the row itself)."""
        types = self.item_types.numpy()[rows]
        return np.array([self._rng.choice(self._rows_of[t]) for t in types])

    def tasks(self, n_fitb: int, n_compat: int,
              sizes: tuple[int, int] | None = None) -> TaskArrays:
        questions, candidates, correct, blank_types = [], [], [], []
        for outfit in self.outfits(n_fitb, sizes):
            blank = self._rng.integers(len(outfit))
            answer = outfit[blank]
            options = [answer, *self.same_type(np.repeat(answer, 3))]
            position = int(self._rng.integers(4))
            options[0], options[position] = options[position], options[0]
            questions.append(np.delete(outfit, blank).tolist())
            candidates.append([int(x) for x in options])
            correct.append(position)
            blank_types.append(int(self.item_types[answer]))
        compat = self.outfits(n_compat, sizes)
        labels = np.arange(n_compat) % 2  # odd rows stay compatible, even ones are scrambled
        compat = [o if label else self.same_type(o) for o, label in zip(compat, labels,
                                                                         strict=True)]
        return TaskArrays(
            fitb_outfits=pad_index_lists(questions),
            fitb_candidates=pad_index_lists(candidates, 4),
            fitb_correct=np.array(correct, dtype=np.int64),
            fitb_blank_types=np.array(blank_types, dtype=np.int64),
            compat_outfits=pad_index_lists([o.tolist() for o in compat]),
            compat_labels=labels.astype(np.int64),
        )


def sampler_for(outfits: list[np.ndarray], catalog: Catalog, seed: int) -> TripletSampler:
    """The sampler as `train` builds it: ids through `item_index`, types as numpy."""
    records = [Outfit(set_id=str(k), item_ids=tuple(str(r) for r in rows),
                      indices=tuple(range(1, len(rows) + 1))) for k, rows in enumerate(outfits)]
    item_index = {str(r): r for r in range(len(catalog.item_types))}
    return TripletSampler(records, item_index, catalog.item_types.numpy(), seed=seed)


# -- timing --------------------------------------------------------------------------------
def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def timed_rounds(fns: dict[str, Callable[[], object]], runs: int):
    """Each function's value (from its warm-up call) and the seconds of `runs` further calls,
    the functions taken in turn so that a change of load hits each alike."""
    values = {name: fn() for name, fn in fns.items()}
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            times[name].append(seconds(fn))
    return values, times


class Trainer:
    """The state `train` keeps between steps, and its step."""

    def __init__(self, config: RunConfig, catalog: Catalog, statistics_from: SATHead,
                 n_outfits: int) -> None:
        torch.manual_seed(config.train.seed)
        self.config = config
        self.catalog = catalog
        self.head = SATHead(config.model, catalog.features.shape[1], len(POLYVORE_TYPES))
        # train() calls set_feature_statistics over the training items; computed once for
        # every variant (it is per run, not per step) and copied here
        self.head.feature_mean.copy_(statistics_from.feature_mean)
        self.head.feature_std.copy_(statistics_from.feature_std)
        tc = config.train
        device = torch.device("cpu")
        autocast = partial(_autocast, device, resolve_precision(tc.precision, device))
        self.step_module = TripletForward(self.head, FeatureSource(catalog.features), None,
                                          autocast)
        self.step_module.train()
        self.optimizer = torch.optim.Adam(
            [{"params": list(self.head.parameters()), "lr": tc.learning_rate}],
            weight_decay=tc.weight_decay)
        self.difficulty = torch.zeros(n_outfits)
        self.seen = torch.zeros(n_outfits, dtype=torch.bool)

    def step(self, a, p, n, o) -> float:
        parts = step_losses(self.step_module, self.head, self.catalog.item_types, a, p, n, o,
                            self.difficulty, self.seen, self.config, Dist())
        self.optimizer.zero_grad(set_to_none=True)
        parts["loss"].backward()
        self.optimizer.step()
        return parts["loss"].item()


class Segments:
    """One trainer's consecutive batches of the epoch, run `steps` at a time."""

    def __init__(self, trainer: Trainer, columns, batch: int) -> None:
        self.trainer, self.columns, self.batch = trainer, columns, batch
        self._next = iter(range(len(columns[0]) // batch))

    def run(self, steps: int) -> float:
        """Triplets/s of the next `steps` steps, each on a new batch as in an epoch."""
        start = time.perf_counter()
        for _ in range(steps):
            b = next(self._next)
            self.trainer.step(*(c[b * self.batch:(b + 1) * self.batch] for c in self.columns))
        return steps * self.batch / (time.perf_counter() - start)


# -- compatibility: the padded baseline and the distances each computes -----------------------
@torch.inference_mode()
def padded_compatibility_baseline(scorer: OutfitScorer, outfits: torch.Tensor) -> torch.Tensor:
    """The compatibility computation the scorer replaced, kept here only as the baseline it is
    measured against: every cell of each chunk's (O, L, L) square, L the longest outfit of
    the file, then the pairs outside each outfit's own upper triangle set to NaN and the rest
    averaged (nanmean); NaN for an outfit of fewer than two items."""
    width = outfits.shape[1]
    upper = torch.ones(width, width, dtype=torch.bool, device=outfits.device).triu(1)
    out = []
    for start in range(0, len(outfits), CHUNK):
        o = outfits[start : start + CHUNK]
        valid = o != PAD
        idx = o.clamp_min(0)
        d = scorer._distance(idx[:, :, None], idx[:, None, :])  # every cell, padding included
        keep = valid[:, :, None] & valid[:, None, :] & upper
        out.append(d.masked_fill(~keep, float("nan")).nanmean(dim=(1, 2)))
    return torch.cat(out) if out else torch.empty(0)


def distances_computed(scorer: OutfitScorer, compute, outfits: torch.Tensor) -> int:
    """Pair distances `compute(scorer, outfits)` asks of the scorer's `_distance`, counted in
    one untimed call on a copy of the scorer."""
    counting = dataclasses.replace(scorer)
    count = 0

    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        nonlocal count
        d = OutfitScorer._distance(counting, a, b)
        count += d.numel()
        return d

    counting._distance = distance  # the instance attribute shadows the method
    compute(counting, outfits)
    return count


# -- evaluation ----------------------------------------------------------------------------
def evaluate(trained: TrainedModel, catalog: Catalog, args) -> dict:
    values, times = timed_rounds({"embed": lambda: trained.embed(catalog.features)},
                                 args.eval_runs)
    scorer = trained.scorer(values["embed"], catalog.item_types)
    out: dict = {"embed_s": statistics.median(times["embed"]), "embed_runs": times["embed"],
                 "lengths": []}
    for sizes in ((args.min_size, args.max_size), tuple(args.long_sizes)):
        tasks = catalog.tasks(args.fitb, args.compat, sizes)
        row = evaluate_lengths(scorer, tasks, args.eval_runs)
        out["lengths"].append({"sizes": list(sizes), **row})
        print(json.dumps(out["lengths"][-1]), flush=True)
    return out


def evaluate_lengths(scorer: OutfitScorer, tasks: TaskArrays, runs: int) -> dict:
    compat = tasks.compat_outfits
    values, times = timed_rounds({
        "fitb": lambda: fitb_accuracy(
            scorer.fitb_distances(tasks.fitb_outfits, tasks.fitb_candidates).numpy(),
            tasks.fitb_correct),
        "evaluate": lambda: evaluate_tasks(scorer, tasks),
        "compat": lambda: scorer.compatibility_distances(compat),
        "padded": lambda: padded_compatibility_baseline(scorer, compat),
    }, runs)
    grouped, padded = values["compat"], values["padded"]
    # the ratio of times means something only if both computed the same distances
    gap = (grouped - padded).abs()
    gap = float(gap[~gap.isnan()].max()) if len(gap) else 0.0
    if not torch.allclose(grouped, padded, equal_nan=True, **SAME_DISTANCES):
        raise AssertionError(f"the padded baseline and compatibility_distances differ: by up "
                             f"to {gap:.3g}, or in where they give NaN")
    sizes = (compat != PAD).sum(1)
    out: dict = {f"{name}_s": statistics.median(t) for name, t in times.items()}
    out.update({f"{name}_runs": t for name, t in times.items()})
    out.update({
        # chance level on these random tasks: shows the work was done on real arrays
        "fitb_accuracy": values["fitb"], "metrics": values["evaluate"],
        "pairs_held": int((sizes * (sizes - 1) // 2).sum()),
        "pairs_computed": distances_computed(
            scorer, OutfitScorer.compatibility_distances, compat),
        "padded_cells": distances_computed(scorer, padded_compatibility_baseline, compat),
        "width": int(compat.shape[1]),
        "max_abs_diff": gap,
        "padded_vs_grouped": statistics.median(times["padded"])
        / statistics.median(times["compat"]),
        # the two ran back to back in each round: their ratio within a round is steadier
        # than either time on a shared machine
        "round_ratios": [p / g for p, g in zip(times["padded"], times["compat"],
                                               strict=True)],
    })
    return out


# -- report --------------------------------------------------------------------------------
def machine_line(meta: dict, args) -> str:
    return (f"Machine: {meta['cpu']}, 2 cores shared with other jobs, torch "
            f"{torch.__version__}, {args.threads} torch threads, "
            f"OMP_WAIT_POLICY={meta['omp']}. `uptime` before: `{meta['uptime_before']}`; "
            f"after: `{meta['uptime_after']}`. Date {meta['date']}.")


def training_markdown(result: dict, meta: dict, args) -> str:
    sampler = result["sampler"]
    lines = [
        SECTION, "",
        "```bash", meta["command"], "```", "",
        machine_line(meta, args), "",
        f"Synthetic, Polyvore-sized catalog (seed {args.seed}): {args.items:,} items x "
        f"{args.dim} cached features (EfficientNet-Lite0's 1280 + 64 colour bins), 11 types; "
        f"{args.outfits:,} training outfits of {args.min_size}-{args.max_size} items of "
        f"distinct types. `TripletSampler`: {sampler['triplets']:,} triplets per epoch, built "
        f"in {sampler['build_s']:.1f} s, one epoch drawn in {sampler['sample_s']:.2f} s.", "",
        "The step is `model.train`'s (`TripletForward`, `step_losses`, backward, Adam, "
        f"`.item()`), `offline` preset's config apart from the column's override, CPU. After "
        f"{args.warmup_steps} warm-up steps, {args.runs} runs of about {args.triplets:,} "
        "triplets each, every step a new batch of epoch 0's shuffled triplets, the runs of "
        "all rows taken in turn (round robin) so that a change of load hits each alike; "
        "triplets/s = median of the runs (the runs beside it). The per-triplet row "
        "(`loss.difficulty_scope=triplet`) is not a training choice here: it shows what the "
        "per-outfit difficulty EMA costs. Epoch = the sampler's triplets at that "
        "rate, without the validation pass.", "",
        "| config | batch | triplets/s | runs | minutes per epoch |",
        "|---|---:|---:|---|---:|",
    ]
    for r in result["training"]:
        runs = ", ".join(f"{x:,.0f}" for x in r["runs"])
        lines.append(f"| {r['variant']} | {r['batch']} | {r['triplets_per_s']:,.0f} | {runs} | "
                     f"{sampler['triplets'] / r['triplets_per_s'] / 60:.1f} |")

    def ratios(key: str) -> str:
        return ", ".join(f"batch {b}: {x:.2f}x" for b, x in result[key].items())

    lines += ["", f"Ratios in this run: lambda = 0 vs default, {ratios('lambda0_vs_default')}; "
              f"per-triplet difficulty vs default, {ratios('per_triplet_vs_default')}; "
              f"default config, batch {args.batches[-1]} vs {args.batches[0]}: "
              f"{result['batch_ratio']:.2f}x. The runs of one row spread by up to "
              f"{max(spread(r['runs']) for r in result['training']):.0%} of its median "
              "(max - min): a ratio closer to 1 than that is not resolved here."]
    return "\n".join(lines) + "\n"


def evaluation_markdown(ev: dict, meta: dict, args) -> str:
    batch, steps = args.batches[-1], head_steps(args)
    head = ("the head of the timed runs above" if not args.eval_only else
            "run by `--eval-only` before the evaluation; the training table above is from "
            "its own run")
    # a full run's command and machine are the section's, above; the load is the evaluation's
    lines = [EVAL_HEADING, "", *(
        ["```bash", meta["command"], "```", "", machine_line(meta, args), ""]
        if args.eval_only else
        [f"Same run as the table above; `uptime` before the evaluation: "
         f"`{meta['uptime_before']}`; after: `{meta['uptime_after']}`.", ""]),
        f"The trained head of the default config at batch {batch}, after {steps} steps of "
        f"the real training step ({head}): the evaluation's speed does not depend on the "
        f"weights' values. Catalog as above ({args.items:,} items x {args.dim} features, "
        f"seed {args.seed}). Task outfits of two length ranges, each length uniform over its "
        f"range: {args.min_size}-{args.max_size} items as the training outfits, and "
        f"{args.long_sizes[0]}-{args.long_sizes[1]}, the lengths of Polyvore Outfits' "
        "compatibility outfits. `padded_compatibility_baseline` is the computation "
        "`compatibility_distances` replaced, kept in the benchmark only: every cell of each "
        "outfit's square padded to the longest outfit of the file, NaN-masked, nanmean. "
        f"Each row: a warm-up, then {args.eval_runs} runs, the four rows of one length range "
        "taken in turn; seconds = the median (the runs beside it).", "",
        "| what | outfit lengths | items / questions | seconds (median) | runs |",
        "|---|---|---:|---:|---|",
        f"| `TrainedModel.embed`, the whole catalog | | {args.items:,} items | "
        f"{ev['embed_s']:.3f} | {_runs(ev['embed_runs'])} |",
    ]
    for r in ev["lengths"]:
        span = f"{r['sizes'][0]}-{r['sizes'][1]}"
        lines += [
            f"| FITB: `OutfitScorer.fitb_distances` + `fitb_accuracy` | {span} | "
            f"{args.fitb:,} questions | {r['fitb_s']:.3f} | {_runs(r['fitb_runs'])} |",
            f"| `evaluate_tasks`: FITB + compatibility AUC | {span} | {args.fitb:,} + "
            f"{args.compat:,} outfits | {r['evaluate_s']:.3f} | {_runs(r['evaluate_runs'])} |",
            f"| of which `OutfitScorer.compatibility_distances` | {span} | {args.compat:,} "
            f"outfits | {r['compat_s']:.3f} | {_runs(r['compat_runs'])} |",
            f"| `padded_compatibility_baseline`, the same outfits | {span} | {args.compat:,} "
            f"outfits | {r['padded_s']:.3f} | {_runs(r['padded_runs'])} |",
        ]
    lines += [
        "", "Pair distances computed for the compatibility outfits, counted at the scorer's "
        "`_distance` in one untimed call of each:", "",
        "| outfit lengths | pairs the outfits hold | computed by `compatibility_distances` | "
        "computed by the padded baseline | baseline / held | baseline time / scorer time, "
        "medians (each round) | largest difference of the distances |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in ev["lengths"]:
        lines.append(
            f"| {r['sizes'][0]}-{r['sizes'][1]} | {r['pairs_held']:,} | "
            f"{r['pairs_computed']:,} | {r['padded_cells']:,} ({r['width']} x {r['width']} "
            f"per outfit) | {r['padded_cells'] / r['pairs_held']:.1f}x | "
            f"{r['padded_vs_grouped']:.2f}x ({_ratios(r['round_ratios'])}) | "
            f"{r['max_abs_diff']:.1e} |")
    exact = all(r["pairs_computed"] == r["pairs_held"] for r in ev["lengths"])
    first = ev["lengths"][0]
    lines += [
        "", "`compatibility_distances` computes "
        + ("exactly the pairs the outfits hold, no padding cell, at both length ranges"
           if exact else "MORE pairs than the outfits hold (see the table)")
        + "; the baseline gives the same distances (`torch.allclose`, rtol "
        f"{SAME_DISTANCES['rtol']:g}, atol {SAME_DISTANCES['atol']:g}, checked in the run). "
        "The padded cost follows the longest outfit of the file, the grouped one the pairs "
        "held, so the gap also depends on the length distribution assumed here (uniform).",
        "", "Target: 10,000 FITB questions from cached embeddings in under a second: "
        f"{'met' if first['fitb_s'] < 1 else 'MISSED'} ({args.fitb:,} questions of "
        f"{first['sizes'][0]}-{first['sizes'][1]}-item outfits in {first['fitb_s']:.3f} s; "
        f"with the compatibility AUC of {args.compat:,} outfits, {first['evaluate_s']:.3f} s).",
    ]
    return "\n".join(lines) + "\n"


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def _ratios(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def replace_evaluation(path: Path, evaluation: str) -> None:
    """Put `evaluation` in place of the evaluation part of this benchmark's section, keeping
    the training-speed part above it, from an earlier full run."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(SECTION + "\n")
    end = text.find("\n## ", start + len(SECTION)) if start >= 0 else -1
    section = text[start:] if end < 0 else text[start : end + 1]
    cut = section.find(EVAL_HEADING + "\n")
    if start < 0 or cut < 0:
        raise SystemExit(f"{path} has no {EVAL_HEADING!r} part under {SECTION!r}: run once "
                         "without --eval-only")
    replace_section(path, SECTION, section[:cut] + evaluation)


# -- run -----------------------------------------------------------------------------------
def head_steps(args) -> int:
    """Steps the evaluated head is trained for: those of a timed row of the full run."""
    return args.warmup_steps + args.runs * max(1, args.triplets // args.batches[-1])


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=250_000)
    parser.add_argument("--dim", type=int, default=1344)
    parser.add_argument("--outfits", type=int, default=50_000)
    parser.add_argument("--min-size", type=int, default=3)
    parser.add_argument("--max-size", type=int, default=8)
    parser.add_argument("--long-sizes", type=int, nargs=2, default=[2, 19],
                        metavar=("MIN", "MAX"),
                        help="the second evaluation's outfit lengths (Polyvore's compatibility "
                             "outfits: 2 to 19 items)")
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--triplets", type=int, default=51_200, help="per timed run")
    parser.add_argument("--warmup-steps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fitb", type=int, default=10_000)
    parser.add_argument("--compat", type=int, default=20_000)
    parser.add_argument("--eval-runs", type=int, default=5)
    parser.add_argument("--eval-only", action="store_true",
                        help="skip the training-speed table; train the evaluated head only")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", type=Path, default=None,
                        help="write the results as this benchmark's section of that file")
    args = parser.parse_args(argv)
    for low, high in ((args.min_size, args.max_size), args.long_sizes):
        if not 2 <= low <= high:
            parser.error(f"outfit lengths {low}-{high}: need 2 <= MIN <= MAX (a FITB question "
                         "keeps one item beside the blank)")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse(argv)
    torch.set_num_threads(args.threads)
    meta = run_header("bench.train_head")
    catalog = Catalog(args)
    train_outfits = catalog.outfits(args.outfits)
    sampler_box: list[TripletSampler] = []
    build_s = seconds(lambda: sampler_box.append(sampler_for(train_outfits, catalog,
                                                             args.seed)))
    sampler = sampler_box[0]
    sample_s = seconds(lambda: sampler.sample(0))
    triplets = sampler.sample(0)
    columns = [torch.as_tensor(x) for x in
               (triplets.anchor, triplets.positive, triplets.negative, triplets.outfit)]
    result: dict = {"sampler": {"triplets": len(sampler), "build_s": build_s,
                                "sample_s": sample_s}}
    print(json.dumps(result["sampler"]), flush=True)

    template = SATHead(load_config().model, args.dim, len(POLYVORE_TYPES))
    train_items = torch.from_numpy(np.unique(np.concatenate(train_outfits)))
    template.set_feature_statistics(catalog.features[train_items])

    def segments_of(variant: str, batch: int) -> Segments:
        config = load_config(None, [*VARIANTS[variant], f"train.batch_size={batch}"])
        return Segments(Trainer(config, catalog, template, len(train_outfits)), columns, batch)

    default = next(iter(VARIANTS))
    if args.eval_only:
        head = segments_of(default, args.batches[-1])
        head.run(head_steps(args))
    else:
        result.update(training_speed(args, segments_of))
        meta["uptime_after"] = uptime()
        head = result.pop("segments")[default, args.batches[-1]]
    trained = TrainedModel(config=head.trainer.config, types=POLYVORE_TYPES,
                           head=head.trainer.head, data_split="synthetic")

    eval_meta = {**meta, "uptime_before": uptime()}
    result["evaluation"] = evaluate(trained, catalog, args)
    eval_meta["uptime_after"] = uptime()
    evaluation = evaluation_markdown(result["evaluation"], eval_meta, args)
    section = evaluation if args.eval_only else (
        training_markdown(result, meta, args) + "\n" + evaluation)
    print(section)
    if args.docs:
        if args.eval_only:
            replace_evaluation(args.docs, evaluation)
        else:
            replace_section(args.docs, SECTION, section)
    return result


def training_speed(args, segments_of) -> dict:
    """The training-speed table's runs, round robin over every (variant, batch)."""
    segments = {}
    for batch in args.batches:
        for variant in VARIANTS:
            segments[variant, batch] = segments_of(variant, batch)
            segments[variant, batch].run(args.warmup_steps)
    # round robin: a change of the machine's load hits every configuration alike
    runs: dict = {key: [] for key in segments}
    for _ in range(args.runs):
        for (variant, batch), segment in segments.items():
            runs[variant, batch].append(segment.run(max(1, args.triplets // batch)))
    training = []
    for (variant, batch), values in runs.items():
        record = {"variant": variant, "batch": batch, "runs": values,
                  "triplets_per_s": statistics.median(values)}
        print(json.dumps(record), flush=True)
        training.append(record)
    rate = {(r["variant"], r["batch"]): r["triplets_per_s"] for r in training}
    default, plain, per_triplet = list(VARIANTS)
    return {
        "training": training, "segments": segments,
        "lambda0_vs_default": {b: rate[plain, b] / rate[default, b] for b in args.batches},
        "per_triplet_vs_default": {
            b: rate[per_triplet, b] / rate[default, b] for b in args.batches},
        "batch_ratio": rate[default, args.batches[-1]] / rate[default, args.batches[0]],
    }


if __name__ == "__main__":
    main()
