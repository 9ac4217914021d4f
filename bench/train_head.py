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
`TrainedModel.embed` (timed apart), as `_validate` does once per epoch.

Synthetic catalog: `--items` items of 11 types drawn uniformly, `--dim` float32 features
(uniform random: the speed of these dense steps does not depend on the values), `--outfits`
training outfits of 3 to 8 items of distinct types, each item drawn uniformly among its type;
FITB questions are further outfits with one item blanked and 3 random items of its type
beside it; compatibility outfits are further outfits, half of them with every item replaced
by a random item of its type.

    OMP_WAIT_POLICY=PASSIVE flock /tmp/lookbook-bench.lock \
        python -m bench.train_head --docs docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
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
from model.scoring import pad_index_lists
from model.train import TripletForward, _autocast, resolve_precision, step_losses

SECTION = "## Head training (issue 3)"
VARIANTS = {
    "default (SAT, lambda = 1)": [],
    "lambda = 0": ["loss.sat_lambda=0"],
    # not a config anyone trains with here: it shows what the per-outfit difficulty EMA costs
    "per-triplet difficulty": ["loss.difficulty_scope=triplet"],
}


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

    def outfits(self, count: int) -> list[np.ndarray]:
        """Outfits as arrays of item rows: distinct types, a uniform item of each type."""
        rng, out = self._rng, []
        lengths = rng.integers(self.sizes[0], self.sizes[1] + 1, count)
        for length in lengths:
            types = rng.choice(len(self._rows_of), length, replace=False)
            out.append(np.array([rng.choice(self._rows_of[t]) for t in types]))
        return out

    def same_type(self, rows: np.ndarray) -> np.ndarray:
        """A random item of each row's type (possibly the row itself)."""
        types = self.item_types.numpy()[rows]
        return np.array([self._rng.choice(self._rows_of[t]) for t in types])

    def tasks(self, n_fitb: int, n_compat: int) -> TaskArrays:
        questions, candidates, correct, blank_types = [], [], [], []
        for outfit in self.outfits(n_fitb):
            blank = self._rng.integers(len(outfit))
            answer = outfit[blank]
            options = [answer, *self.same_type(np.repeat(answer, 3))]
            position = int(self._rng.integers(4))
            options[0], options[position] = options[position], options[0]
            questions.append(np.delete(outfit, blank).tolist())
            candidates.append([int(x) for x in options])
            correct.append(position)
            blank_types.append(int(self.item_types[answer]))
        compat = self.outfits(n_compat)
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


# -- report --------------------------------------------------------------------------------
def markdown(result: dict, meta: dict, args) -> str:
    sampler = result["sampler"]
    lines = [
        SECTION, "",
        "```bash", meta["command"], "```", "",
        f"Machine: {meta['cpu']}, 2 cores shared with other jobs, torch {torch.__version__}, "
        f"{args.threads} torch threads, OMP_WAIT_POLICY={meta['omp']}. `uptime` before: "
        f"`{meta['uptime_before']}`; after: `{meta['uptime_after']}`. Date {meta['date']}.", "",
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
              "(max - min): a ratio closer to 1 than that is not resolved here.", ""]
    ev = result["evaluation"]
    lines += [
        f"Evaluation, the trained head of the default config at batch {args.batches[-1]}; "
        f"median of {args.eval_runs} after a warm-up:", "",
        "| what | items / questions | seconds (median) | runs |",
        "|---|---:|---:|---|",
        f"| `TrainedModel.embed`, the whole catalog | {args.items:,} items | "
        f"{ev['embed_s']:.3f} | {_runs(ev['embed_runs'])} |",
        f"| FITB: `OutfitScorer.fitb_distances` + `fitb_accuracy` | {args.fitb:,} questions | "
        f"{ev['fitb_s']:.3f} | {_runs(ev['fitb_runs'])} |",
        f"| `evaluate_tasks`: FITB + compatibility AUC | {args.fitb:,} + {args.compat:,} "
        f"outfits | {ev['evaluate_s']:.3f} | {_runs(ev['evaluate_runs'])} |",
        f"| of which `OutfitScorer.compatibility_distances` | {args.compat:,} outfits | "
        f"{ev['compat_s']:.3f} | {_runs(ev['compat_runs'])} |",
        "", f"The compatibility scorer computes every cell of each outfit's padded "
        f"{ev['compat_width']} x {ev['compat_width']} square (padded to the longest outfit "
        f"of the file): {ev['compat_cells']:,} pair distances for the "
        f"{ev['compat_pairs']:,} pairs the outfits hold, "
        f"{ev['compat_cells'] / ev['compat_pairs']:.1f}x the work.",
        "", "Target: 10,000 FITB questions from cached embeddings in under a second: "
        f"{'met' if ev['fitb_s'] < 1 else 'MISSED'} ({args.fitb:,} questions in "
        f"{ev['fitb_s']:.3f} s; with the compatibility AUC of {args.compat:,} outfits, "
        f"{ev['evaluate_s']:.3f} s).",
    ]
    return "\n".join(lines) + "\n"


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.3f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=250_000)
    parser.add_argument("--dim", type=int, default=1344)
    parser.add_argument("--outfits", type=int, default=50_000)
    parser.add_argument("--min-size", type=int, default=3)
    parser.add_argument("--max-size", type=int, default=8)
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--triplets", type=int, default=51_200, help="per timed run")
    parser.add_argument("--warmup-steps", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fitb", type=int, default=10_000)
    parser.add_argument("--compat", type=int, default=20_000)
    parser.add_argument("--eval-runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--docs", type=Path, default=None,
                        help="write the results as this benchmark's section of that file")
    args = parser.parse_args()

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
                                "sample_s": sample_s}, "training": []}
    print(json.dumps(result["sampler"]), flush=True)

    template = SATHead(load_config().model, args.dim, len(POLYVORE_TYPES))
    train_items = torch.from_numpy(np.unique(np.concatenate(train_outfits)))
    template.set_feature_statistics(catalog.features[train_items])
    segments = {}
    for batch in args.batches:
        for variant, overrides in VARIANTS.items():
            config = load_config(None, [*overrides, f"train.batch_size={batch}"])
            segments[variant, batch] = Segments(
                Trainer(config, catalog, template, len(train_outfits)), columns, batch)
            segments[variant, batch].run(args.warmup_steps)
    # round robin: a change of the machine's load hits every configuration alike
    runs: dict = {key: [] for key in segments}
    for _ in range(args.runs):
        for (variant, batch), segment in segments.items():
            runs[variant, batch].append(segment.run(max(1, args.triplets // batch)))
    for (variant, batch), values in runs.items():
        record = {"variant": variant, "batch": batch, "runs": values,
                  "triplets_per_s": statistics.median(values)}
        print(json.dumps(record), flush=True)
        result["training"].append(record)
    default_head = segments[next(iter(VARIANTS)), args.batches[-1]].trainer
    trained = TrainedModel(config=default_head.config, types=POLYVORE_TYPES,
                           head=default_head.head, data_split="synthetic")
    rate = {(r["variant"], r["batch"]): r["triplets_per_s"] for r in result["training"]}
    default, plain, per_triplet = list(VARIANTS)
    result["lambda0_vs_default"] = {b: rate[plain, b] / rate[default, b] for b in args.batches}
    result["per_triplet_vs_default"] = {
        b: rate[per_triplet, b] / rate[default, b] for b in args.batches}
    result["batch_ratio"] = rate[default, args.batches[-1]] / rate[default, args.batches[0]]

    result["evaluation"] = evaluate(trained, catalog, args)
    print(json.dumps(result["evaluation"]), flush=True)
    meta["uptime_after"] = uptime()
    section = markdown(result, meta, args)
    print(section)
    if args.docs:
        replace_section(args.docs, SECTION, section)


def evaluate(trained: TrainedModel, catalog: Catalog, args) -> dict:
    tasks = catalog.tasks(args.fitb, args.compat)
    out: dict = {}

    def timed(name: str, fn):
        value = fn()  # warm-up
        runs = [seconds(fn) for _ in range(args.eval_runs)]
        out[f"{name}_s"], out[f"{name}_runs"] = statistics.median(runs), runs
        return value

    embeddings = timed("embed", lambda: trained.embed(catalog.features))
    scorer = trained.scorer(embeddings, catalog.item_types)
    # chance level on these random tasks; printed to show the work was done on real arrays
    out["fitb_accuracy"] = timed("fitb", lambda: fitb_accuracy(
        scorer.fitb_distances(tasks.fitb_outfits, tasks.fitb_candidates).numpy(),
        tasks.fitb_correct))
    timed("compat", lambda: scorer.compatibility_distances(tasks.compat_outfits))
    out["metrics"] = timed("evaluate", lambda: evaluate_tasks(scorer, tasks))
    # the scorer fills the whole padded square of each outfit, L x L cells, L the longest
    # outfit of the file; an outfit of k items has k (k - 1) / 2 pairs
    sizes = (tasks.compat_outfits >= 0).sum(1)
    out["compat_pairs"] = int((sizes * (sizes - 1) // 2).sum())
    out["compat_cells"] = int(tasks.compat_outfits.numel() * tasks.compat_outfits.shape[1])
    out["compat_width"] = int(tasks.compat_outfits.shape[1])
    return out


if __name__ == "__main__":
    main()
