import numpy as np
import pytest

from model.metrics import compatibility_auc, fitb_accuracy, recall_at_k


def test_fitb_accuracy_hand_computed():
    distances = np.array([[0.1, 0.5, 0.7, 0.9], [0.4, 0.2, 0.3, 0.1], [1.0, 1.0, 0.5, 2.0]])
    correct = np.array([0, 1, 2])
    assert fitb_accuracy(distances, correct) == pytest.approx(2 / 3)


def test_fitb_ties_go_to_first_candidate():
    assert fitb_accuracy(np.array([[0.5, 0.5, 0.9, 0.9]]), np.array([1])) == 0.0


def test_auc_hand_computed():
    # positives at distances 0.1, 0.4; negatives 0.3, 0.8: 3 of 4 pairs ordered -> 0.75
    labels = np.array([1, 1, 0, 0])
    distances = np.array([0.1, 0.4, 0.3, 0.8])
    assert compatibility_auc(labels, distances) == pytest.approx(0.75)


def test_auc_needs_both_labels():
    assert np.isnan(compatibility_auc(np.array([1, 1]), np.array([0.1, 0.2])))


def test_recall_at_k():
    r = recall_at_k(np.array([0, 9, 10, 49, 50]), ks=(10, 50))
    assert r == {"recall@10": 0.4, "recall@50": 0.8}
