"""The head-training benchmark at toy size: its padded baseline gives the scorer's distances
and computes the padded square, and `--eval-only` replaces the evaluation part of its
section alone."""

import numpy as np
import pytest
import torch

from bench import train_head
from model.config import load_config
from model.data.types import POLYVORE_TYPES
from model.net import SATHead
from model.run import TrainedModel
from model.scoring import OutfitScorer, pad_index_lists

TOY = ["--items", "1500", "--dim", "24", "--outfits", "200", "--batches", "8", "16",
       "--triplets", "32", "--runs", "2", "--warmup-steps", "1", "--fitb", "60",
       "--compat", "80", "--eval-runs", "1", "--long-sizes", "2", "14"]


def toy_scorer() -> OutfitScorer:
    torch.manual_seed(0)
    features = torch.rand(300, 24)
    head = SATHead(load_config().model, 24, len(POLYVORE_TYPES))
    head.set_feature_statistics(features)
    trained = TrainedModel(config=load_config(), types=POLYVORE_TYPES, head=head,
                           data_split="synthetic")
    return trained.scorer(trained.embed(features),
                          torch.randint(0, len(POLYVORE_TYPES), (300,)))


def test_padded_baseline_gives_the_scorers_distances_over_the_whole_square():
    scorer = toy_scorer()
    rng = np.random.default_rng(1)
    # lengths 0 to 13, three of each: those of 0 and 1 item hold no pair (NaN)
    outfits = pad_index_lists([rng.integers(0, 300, n).tolist() for n in range(14)] * 3)
    grouped = scorer.compatibility_distances(outfits)
    padded = train_head.padded_compatibility_baseline(scorer, outfits)
    assert torch.allclose(grouped, padded, equal_nan=True, **train_head.SAME_DISTANCES)
    assert grouped[:3].isnan().tolist() == [True, True, False]
    assert int(grouped.isnan().sum()) == 6
    held = 3 * sum(n * (n - 1) // 2 for n in range(14))
    assert train_head.distances_computed(
        scorer, OutfitScorer.compatibility_distances, outfits) == held
    assert train_head.distances_computed(
        scorer, train_head.padded_compatibility_baseline, outfits) == 42 * 13 * 13


def test_long_outfits_repeat_types_only_beyond_the_type_count():
    args = train_head.parse(["--items", "500", "--dim", "4"])
    catalog = train_head.Catalog(args)
    types = catalog.item_types.numpy()
    for outfit in catalog.outfits(50, (2, 19)):
        assert 2 <= len(outfit) <= 19
        if len(outfit) <= len(POLYVORE_TYPES):
            assert len(set(types[outfit])) == len(outfit)


def test_eval_only_replaces_the_evaluation_part_alone(tmp_path, capsys):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n## Other (issue 1)\n\nkept\n", encoding="utf-8")
    full = train_head.main([*TOY, "--docs", str(docs)])
    assert [r["batch"] for r in full["training"]] == [8, 8, 8, 16, 16, 16]
    text = docs.read_text(encoding="utf-8")
    training, evaluation = text.split(train_head.EVAL_HEADING + "\n")
    assert "## Other (issue 1)\n\nkept\n" in training
    assert "| default (SAT, lambda = 1) | 16 |" in training
    assert "Same run as the table above" in evaluation

    result = train_head.main([*TOY, "--eval-only", "--docs", str(docs)])
    assert "training" not in result
    for row, sizes in zip(result["evaluation"]["lengths"], ([3, 8], [2, 14]), strict=True):
        assert row["sizes"] == sizes
        assert row["pairs_computed"] == row["pairs_held"] > 0
        width = row["width"]
        assert width == sizes[1] and row["padded_cells"] == 80 * width * width
        assert row["metrics"]["n_compatibility"] == 80
        assert len(row["round_ratios"]) == 1 and row["padded_vs_grouped"] > 0
    after = docs.read_text(encoding="utf-8")
    assert after.startswith(training)  # the training table and the sections above it
    assert "--eval-only" in after.split(train_head.EVAL_HEADING)[1]
    assert after.count(train_head.EVAL_HEADING) == 1
    assert "exactly the pairs the outfits hold" in after
    capsys.readouterr()


def test_eval_only_needs_a_section_with_an_evaluation_part(tmp_path):
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="run once without --eval-only"):
        train_head.replace_evaluation(docs, train_head.EVAL_HEADING + "\n")


def test_lengths_below_two_are_refused(capsys):
    with pytest.raises(SystemExit):
        train_head.parse(["--long-sizes", "1", "19"])
    assert "need 2 <= MIN <= MAX" in capsys.readouterr().err
