import torch

from model import losses
from model.config import LossConfig


def _triplets(seed=0, n=64, d=16):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, d, generator=g) for _ in range(3))


def test_sat_with_lambda_zero_is_the_plain_triplet_loss():
    terms = torch.tensor([0.0, 0.1, 0.5, 0.9])
    difficulty = torch.tensor([0.0, 2.0, 0.3, 5.0])
    weights = losses.sat_weights(difficulty, LossConfig(sat_lambda=0.0))
    assert torch.equal(weights, torch.ones(4))
    assert losses.self_adaptive_triplet_loss(terms, weights) == terms.mean()


def test_harder_triplets_weigh_more_and_weights_average_one():
    difficulty = torch.tensor([0.0, 0.5, 1.0, 2.0])
    weights = losses.sat_weights(difficulty, LossConfig(sat_lambda=1.0))
    assert torch.all(weights[1:] > weights[:-1])
    assert torch.isclose(weights.mean(), torch.tensor(1.0))
    # 1 + lambda * DS, normalised: (1, 1.5, 2, 3) / 1.875
    assert torch.allclose(weights, torch.tensor([1.0, 1.5, 2.0, 3.0]) / 1.875)
    soft = losses.sat_weights(difficulty, LossConfig(sat_lambda=1.0, weighting="softmax"))
    assert torch.all(soft[1:] > soft[:-1]) and torch.isclose(soft.mean(), torch.tensor(1.0))


def test_triplet_terms_hinge():
    d_ap = torch.tensor([0.1, 0.5, 1.0])
    d_an = torch.tensor([1.0, 0.6, 0.2])
    assert torch.allclose(losses.triplet_terms(d_ap, d_an, 0.3), torch.tensor([0.0, 0.2, 1.1]))


def test_margin_difficulty_zero_for_easy_large_for_lookalike():
    a = torch.tensor([[1.0, 0.0, 0.0]])
    p = torch.tensor([[0.9, 0.1, 0.0]])
    far_n = torch.tensor([[-1.0, 0.0, 0.0]])
    cfg = LossConfig()
    assert losses.difficulty_scores(a, p, far_n, cfg).item() == 0.0
    # a negative that looks like the positive: |p-n| = 0 -> second term = margin
    h = losses.difficulty_scores(a, p, p.clone(), cfg).item()
    assert h >= cfg.margin - 1e-6


def test_difficulty_readings_are_ordered_by_hardness():
    a = torch.tensor([[1.0, 0.0]])
    p = torch.tensor([[0.0, 1.0]])
    easy_n = torch.tensor([[-1.0, 0.0]])
    hard_n = torch.tensor([[0.1, 1.0]])
    for kind in ("margin", "lookalike", "violation", "product"):
        cfg = LossConfig(difficulty=kind)
        easy = losses.difficulty_scores(a, p, easy_n, cfg)
        hard = losses.difficulty_scores(a, p, hard_n, cfg)
        assert hard.item() > easy.item(), kind


def test_similarity_loss_direction():
    f_p = torch.tensor([[0.0, 0.0]])
    f_n = torch.tensor([[0.1, 0.0]])  # same type, close
    f_a = torch.tensor([[2.0, 0.0]])  # compatible but far
    assert losses.similarity_loss(f_a, f_p, f_n, 0.3).item() == 0.0
    # negative farther than the anchor: max(0, 2 - 0.1 + 0.3) = 2.2
    loss = losses.similarity_loss(f_n, f_p, f_a, 0.3).item()
    assert abs(loss - 2.2) < 1e-6


def test_outfit_difficulty_ema():
    state = torch.zeros(3)
    seen = torch.zeros(3, dtype=torch.bool)
    losses.update_outfit_difficulty(state, seen, torch.tensor([0, 0, 2]),
                                    torch.tensor([1.0, 3.0, 4.0]), momentum=0.5)
    assert torch.allclose(state, torch.tensor([2.0, 0.0, 4.0]))  # first sight: the batch mean
    losses.update_outfit_difficulty(state, seen, torch.tensor([0]), torch.tensor([0.0]), 0.5)
    assert torch.allclose(state, torch.tensor([1.0, 0.0, 4.0]))
    assert seen.tolist() == [True, False, True]
