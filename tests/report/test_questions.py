import numpy as np

from model.report import questions

# 4 questions, 3 candidates; the right answer is candidate 0 everywhere
DIST = np.array([[1.0, 2.0, 3.0],   # right
                 [5.0, 1.0, 9.0],   # wrong by 4
                 [2.0, 2.0, 0.5],   # wrong by 1.5
                 [0.1, 0.1, 0.2]])  # a tie: the earliest candidate, the right one
CORRECT = np.zeros(4, dtype=np.int64)


def test_choice_is_the_lowest_distance_ties_to_the_first():
    assert questions.choices(DIST).tolist() == [0, 1, 2, 0]
    assert questions.miss_margin(DIST, CORRECT).tolist() == [0.0, 4.0, 1.5, 0.0]


def test_hard_misses_are_wrong_and_hard_worst_first():
    picks = questions.choices(DIST)
    margin = questions.miss_margin(DIST, CORRECT)
    lookalike = np.array([1, 2, 1, 0])  # misses questions 0, 1 and 2: those are hard
    assert questions.hard_misses(CORRECT, picks, lookalike, margin, 10).tolist() == [1, 2]
    assert questions.hard_misses(CORRECT, picks, lookalike, margin, 1).tolist() == [1]


def test_right_where_ablation_wrong():
    picks = questions.choices(DIST)
    ablation = np.array([[3.0, 1.0, 2.0],   # wrong by 2
                         [0.0, 1.0, 1.0],
                         [0.0, 1.0, 1.0],
                         [9.0, 1.0, 0.0]])  # wrong by 9
    got = questions.right_where_ablation_wrong(CORRECT, picks, ablation, 10)
    assert got.tolist() == [3, 0]  # the ablation's most confident miss first


def test_gallery_sample_is_sorted_unique_and_reproducible():
    a = questions.gallery_sample(100, 12, seed=3)
    assert len(set(a.tolist())) == 12 and a.tolist() == sorted(a.tolist())
    assert a.tolist() == questions.gallery_sample(100, 12, seed=3).tolist()
    assert questions.gallery_sample(5, 12, seed=0).tolist() == [0, 1, 2, 3, 4]


def test_least_compatible_and_weakest_pair():
    assert questions.least_compatible(np.array([0.2, np.nan, 0.9, 0.5]), 2).tolist() == [2, 3]
    nan = float("nan")
    pairs = np.array([[nan, 0.3, 0.8], [nan, nan, 0.1], [nan, nan, nan]])
    assert questions.weakest_pair(pairs) == (0, 2)
