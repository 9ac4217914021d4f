from pathlib import Path

import numpy as np
import torch

from model.data.types import FitbQuestion, Outfit, PolyvoreData, SplitData
from model.evaluate import TaskArrays, fitb_report, lookalike_choices, unseen_answers
from model.scoring import OutfitScorer, build_pair_table, n_pairs


def _tasks(outfits, candidates, correct, blank_types):
    return TaskArrays(
        fitb_outfits=torch.tensor(outfits), fitb_candidates=torch.tensor(candidates),
        fitb_correct=np.array(correct), fitb_blank_types=np.array(blank_types),
        compat_outfits=torch.zeros(0, 2, dtype=torch.long), compat_labels=np.zeros(0),
    )


def test_lookalike_picks_the_candidate_nearest_in_feature_space():
    features = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0], [0.7, 0.7]])
    tasks = _tasks([[0, -1]], [[2, 3, 1, 4]], [0], [0])
    assert lookalike_choices(features, tasks).tolist() == [2]  # item 1 is nearest item 0


def test_fitb_report_hard_and_unseen_subsets():
    # 1-d embeddings on a line, one type, identity mask: the nearest candidate wins
    emb = torch.tensor([[0.0], [1.0], [5.0], [0.2], [9.0], [4.0]])
    scorer = OutfitScorer(emb, torch.zeros(6, dtype=torch.long), torch.ones(n_pairs(1), 1),
                          build_pair_table(1), normalize=False, squared=True)
    # q0: outfit [0], candidates [3, 4] -> picks 3 (right); q1: outfit [2], [1, 5] -> 5 (wrong)
    tasks = _tasks([[0], [2]], [[3, 4], [1, 5]], [0, 0], [0, 0])
    report = fitb_report(scorer, tasks, ("tops",), lookalike=np.array([1, 1]),
                         unseen=np.array([False, True]))
    assert report["fitb_accuracy_by_type"] == {"tops": {"accuracy": 0.5, "n": 2}}
    assert report["hard_fitb"] == {"accuracy": 0.5, "n": 2}
    assert report["lookalike_baseline_fitb_accuracy"] == 0.0
    assert report["unseen_answer_fitb"] == {"accuracy": 0.0, "n": 1}


def test_unseen_answers():
    split = SplitData(
        name="nondisjoint",
        outfits={"train": [Outfit("1", ("a", "b"), (1, 2))]},
        fitb={"test": [FitbQuestion(("c",), ("b", "x"), 0, 2, "9"),
                       FitbQuestion(("c",), ("y", "z"), 1, 2, "9")]},
    )
    data = PolyvoreData(root=Path("."), items={}, types=("tops",), split=split)
    assert unseen_answers(data, "test").tolist() == [False, True]
