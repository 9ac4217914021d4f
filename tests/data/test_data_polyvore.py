from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import pytest

from model.data.errors import DatasetError
from model.data.polyvore import load_polyvore, read_typespaces, type_pairs
from model.data.types import POLYVORE_TYPES, CompatibilityOutfit, FitbQuestion, Item, Outfit


def test_items_are_read_with_empty_titles_and_string_category_ids(polyvore_root: Path) -> None:
    data = load_polyvore(polyvore_root, "nondisjoint")
    assert len(data.items) == 12
    assert data.items["213343990"] == Item("213343990", "tops", "11", "", "", "item 213343990")
    assert data.items["213343991"] == Item(
        "213343991", "bottoms", "27", "high waist jeans", "soft cotton", "item 213343991"
    )
    assert data.types == ("bags", "bottoms", "shoes", "tops")
    assert data.type_index("213343995") == 0
    assert data.image_path("213343990") == polyvore_root / "images" / "213343990.jpg"
    assert data.categories["27"] == ("Jeans", "bottoms")
    assert data.outfit_titles["224930161"] == ""
    assert data.outfit_titles["410000001"] == "look 410000001"


def test_outfits_are_ordered_by_non_contiguous_index(polyvore_root: Path) -> None:
    data = load_polyvore(polyvore_root, "disjoint")
    assert data.split.name == "disjoint"
    assert data.split.outfits["train"] == [
        Outfit("224930161", ("213343990", "213343991", "213343992"), (1, 2, 4)),
        Outfit("224930162", ("213343993", "213343994", "213343995"), (1, 2, 3)),
    ]
    assert data.split.outfits["test"][0].indices == (1, 2, 5)


def test_task_names_resolve_through_the_same_subset(polyvore_root: Path) -> None:
    split = load_polyvore(polyvore_root, "nondisjoint").split
    assert split.compatibility["test"] == [
        CompatibilityOutfit(1, ("213343997", "213344000", "213343996")),
        CompatibilityOutfit(0, ("213343999", "213344000", "213344001")),
    ]
    assert split.fitb["test"] == [
        FitbQuestion(
            question=("213343999", "213343991", "213343998"),
            answers=("213343996", "213344001", "213343997", "213344000"),
            correct=1,
            blank_position=3,
            set_id="410000002",
        )
    ]
    assert split.fitb["valid"][0].correct == 0
    assert split.fitb["valid"][0].set_id == "310000001"
    # The fixture ships no train task files: they load as empty lists.
    assert split.compatibility["train"] == [] and split.fitb["train"] == []


def test_only_the_requested_subsets_are_read(polyvore_root: Path) -> None:
    (polyvore_root / "nondisjoint" / "train.json").unlink()
    split = load_polyvore(polyvore_root, "nondisjoint", subsets=("test",)).split
    assert list(split.outfits) == ["test"]
    with pytest.raises(DatasetError, match="cannot be loaded") as info:
        load_polyvore(polyvore_root, "nondisjoint")
    assert info.value.problems == [
        "nondisjoint/train.json: missing; it is part of the Polyvore Outfits download"
    ]


def _rewrite_json(path: Path, edit) -> None:
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda root: (root / "nondisjoint" / "compatibility_test.txt").write_text(
                "1 410000001_1 410000001_2\nyes 410000001_1 410000001_2\n"
            ),
            "nondisjoint/compatibility_test.txt:2: expected `1|0` then item names, found "
            "'yes 410000001_1 410000001_2'",
            id="compatibility-label",
        ),
        pytest.param(
            lambda root: _rewrite_json(
                root / "nondisjoint" / "fill_in_blank_test.json",
                lambda q: q[0].__setitem__("answers", ["410000001_1", "410000001_2"]),
            ),
            "nondisjoint/fill_in_blank_test.json: question 0: 0 answers come from the "
            "question's outfit 410000002, expected exactly one (the right answer)",
            id="fitb-no-right-answer",
        ),
        pytest.param(
            lambda root: _rewrite_json(
                root / "nondisjoint" / "fill_in_blank_valid.json",
                lambda q: q[0].__setitem__("question", ["310000001_1", "310000001_7"]),
            ),
            "nondisjoint/fill_in_blank_valid.json: question 0: 310000001_7 names no item of "
            "nondisjoint/valid.json (`<set_id>_<index>` must be an outfit's item of the same "
            "subset)",
            id="fitb-unknown-name",
        ),
        pytest.param(
            lambda root: _rewrite_json(
                root / "nondisjoint" / "valid.json",
                lambda o: o[1]["items"][0].__setitem__("item_id", "999999999"),
            ),
            "nondisjoint/valid.json: outfit 310000002 (entry 1): item 999999999 is not in "
            "polyvore_item_metadata.json; the metadata and the outfits come from different "
            "downloads?",
            id="unknown-item",
        ),
        pytest.param(
            lambda root: _rewrite_json(
                root / "polyvore_item_metadata.json",
                lambda m: m["213343994"].pop("semantic_category"),
            ),
            "polyvore_item_metadata.json: item 213343994 has no semantic_category; give it one "
            "of the dataset's categories (e.g. 'tops')",
            id="no-semantic-category",
        ),
        pytest.param(
            lambda root: (root / "nondisjoint" / "test.json").write_text('[{"set_id": '),
            "nondisjoint/test.json: not valid JSON",
            id="bad-json",
        ),
    ],
)
def test_malformed_content_raises_with_file_and_entry(
    polyvore_root: Path, edit, expected: str
) -> None:
    edit(polyvore_root)
    with pytest.raises(DatasetError) as info:
        load_polyvore(polyvore_root, "nondisjoint")
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems
    assert expected.split(":")[0] in str(info.value)


def test_missing_folders_raise(polyvore_root: Path, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a folder"):
        load_polyvore(tmp_path / "nowhere", "nondisjoint")
    with pytest.raises(DatasetError, match="no weird/ folder"):
        load_polyvore(polyvore_root, "weird")


def test_require_images(polyvore_root: Path) -> None:
    (polyvore_root / "images" / "213343998.jpg").unlink()
    load_polyvore(polyvore_root, "nondisjoint")  # images are not looked at by default
    with pytest.raises(DatasetError) as info:
        load_polyvore(polyvore_root, "nondisjoint", require_images=True)
    assert info.value.problems == ["images/213343998.jpg: missing (an outfit names item 213343998)"]


def test_type_pairs_are_unordered_with_same_type_pairs() -> None:
    pairs = type_pairs(POLYVORE_TYPES)
    assert len(pairs) == 66 == len(set(pairs))
    assert pairs[:3] == [
        ("accessories", "accessories"),
        ("accessories", "all-body"),
        ("accessories", "bags"),
    ]
    assert all(u <= v for u, v in pairs)
    assert type_pairs(["tops", "bags", "tops", "shoes"]) == [
        ("bags", "bags"),
        ("bags", "shoes"),
        ("bags", "tops"),
        ("shoes", "shoes"),
        ("shoes", "tops"),
        ("tops", "tops"),
    ]
    for n in range(1, 12):
        assert len(type_pairs(POLYVORE_TYPES[:n])) == n * (n + 1) // 2


def test_typespaces_of_tuples_are_read(polyvore_root: Path) -> None:
    assert read_typespaces(polyvore_root / "disjoint" / "typespaces.p") == [
        ("bags", "bottoms"),
        ("bottoms", "tops"),
        ("shoes", "tops"),
        ("tops", "tops"),
    ]


def test_typespaces_written_by_python2_are_read(tmp_path: Path) -> None:
    # Protocol 0 as Python 2 wrote it: byte strings (S opcode), memo puts, a list of tuples.
    path = tmp_path / "typespaces.p"
    path.write_bytes(b"(lp0\n(S'bags'\np1\nS'tops'\np2\ntp3\na(S'tops'\np4\ng4\ntp5\na.")
    assert read_typespaces(path) == [("bags", "tops"), ("tops", "tops")]


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_hostile_typespaces_are_refused_without_running(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = tmp_path / "typespaces.p"
    path.write_bytes(pickle.dumps([("bags", "tops"), _Exploit(marker)]))
    with pytest.raises(DatasetError) as info:
        read_typespaces(path)
    assert "refused to load the global" in info.value.problems[0]
    assert "system" in info.value.problems[0]
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps({"bags": "tops"}),
        pickle.dumps([("bags", "tops", "shoes")]),
        pickle.dumps([("bags", 3)]),
        pickle.dumps("bags,tops"),
        pickle.dumps([(b"bags", b"tops")]),
        pickle.dumps(set()),
        b"not a pickle at all",
        b"",
        pickle.dumps([("bags", "tops")])[:-3],
    ],
)
def test_typespaces_that_are_not_string_pairs_are_refused(tmp_path: Path, payload) -> None:
    path = tmp_path / "typespaces.p"
    path.write_bytes(payload)
    with pytest.raises(DatasetError, match="typespaces.p"):
        read_typespaces(path)
