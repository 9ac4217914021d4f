"""The sample catalog generator: layout, splits, task files, determinism, and the colour
baseline that its look-alike distractors must defeat."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from model.baselines import color_histogram_fitb
from model.data.types import POLYVORE_TYPES, SPLITS, SUBSETS
from model.sample import SampleConfig, build_sample, write_sample

METADATA_KEYS = {
    "url_name",
    "description",
    "catgeories",
    "title",
    "related",
    "category_id",
    "semantic_category",
}
SPLIT_FILES = [
    f"{stem}{subset}{ext}"
    for subset in SUBSETS
    for stem, ext in (("", ".json"), ("compatibility_", ".txt"), ("fill_in_blank_", ".json"))
]


def _json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _outfits(root: Path, split: str, subset: str) -> list[dict]:
    return _json(root / split / f"{subset}.json")


def _names(outfits: list[dict]) -> dict[str, str]:
    return {f"{o['set_id']}_{e['index']}": e["item_id"] for o in outfits for e in o["items"]}


def _set_id(name: str) -> str:
    return name.rsplit("_", 1)[0]


def _compatibility(root: Path, split: str, subset: str) -> list[tuple[int, list[str]]]:
    lines = (root / split / f"compatibility_{subset}.txt").read_text().splitlines()
    return [(int(line.split()[0]), line.split()[1:]) for line in lines]


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_every_file_of_the_layout_exists(small_catalog):
    root = small_catalog.root
    for name in ("polyvore_item_metadata.json", "polyvore_outfit_titles.json", "categories.csv"):
        assert (root / name).is_file(), name
    for split in SPLITS:
        for name in [*SPLIT_FILES, "typespaces.p"]:
            assert (root / split / name).is_file(), f"{split}/{name}"
    # Nothing beside the layout: a stray temp folder would mean a non-atomic write.
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [
            "polyvore_item_metadata.json",
            "polyvore_outfit_titles.json",
            "categories.csv",
            "images",
            *SPLITS,
        ]
    )


def test_metadata_has_the_release_keys_and_digit_ids(small_catalog):
    root = small_catalog.root
    metadata = _json(root / "polyvore_item_metadata.json")
    assert len(metadata) == small_catalog.config.n_items == small_catalog.summary.n_items
    categories = {
        row.split(",")[0]: tuple(row.split(",")[1:])
        for row in (root / "categories.csv").read_text().splitlines()
    }
    for item_id, record in metadata.items():
        assert item_id.isdigit() and len(item_id) == 9
        assert set(record) == METADATA_KEYS
        assert isinstance(record["catgeories"], list)
        assert categories[record["category_id"]][1] == record["semantic_category"]
    assert {r["semantic_category"] for r in metadata.values()} == set(POLYVORE_TYPES)
    # Several fine categories per semantic category, as in the release.
    per_type = Counter(semantic for _, semantic in categories.values())
    assert per_type["tops"] >= 3 and per_type["shoes"] >= 3
    # A few records have empty text, most do not.
    empty_titles = sum(not r["title"] for r in metadata.values())
    assert 0 < empty_titles < 0.1 * len(metadata)
    assert all(r["title"] or r["description"] or r["url_name"] for r in metadata.values())
    titles = _json(root / "polyvore_outfit_titles.json")
    assert all(set_id.isdigit() for set_id in titles)


def test_every_item_has_an_image_that_pillow_opens(small_catalog):
    root = small_catalog.root
    metadata = _json(root / "polyvore_item_metadata.json")
    assert len(list((root / "images").iterdir())) == len(metadata)
    size = small_catalog.config.image_size
    for item_id in metadata:
        with Image.open(root / "images" / f"{item_id}.jpg") as image:
            assert image.format == "JPEG" and image.size == (size, size)
            image.load()
            # A product photo: the corners are background white.
            assert image.convert("L").getpixel((0, 0)) > 235


def test_outfits_are_realistic_and_indexed_like_the_release(small_catalog):
    root = small_catalog.root
    metadata = _json(root / "polyvore_item_metadata.json")
    gaps = 0
    for split in SPLITS:
        for subset in SUBSETS:
            outfits = _outfits(root, split, subset)
            assert len(outfits) == small_catalog.summary.n_outfits[split][subset]
            for outfit in outfits:
                assert outfit["set_id"].isdigit()
                ids = [e["item_id"] for e in outfit["items"]]
                indices = [e["index"] for e in outfit["items"]]
                assert 3 <= len(ids) <= 8 and len(set(ids)) == len(ids)
                assert indices[0] == 1 and indices == sorted(set(indices))
                gaps += indices != list(range(1, len(ids) + 1))
                kinds = Counter(metadata[i]["semantic_category"] for i in ids)
                repeated = {k for k, n in kinds.items() if n > 1}
                assert repeated <= {"jewellery", "accessories"}, outfit
                assert ("all-body" in kinds) != ("tops" in kinds and "bottoms" in kinds)
    assert gaps > 0  # some outfits have non-contiguous indices


def test_outfit_counts_follow_the_config(small_catalog):
    for split in SPLITS:
        counts = small_catalog.summary.n_outfits[split]
        assert sum(counts.values()) == small_catalog.config.n_outfits
        assert counts["train"] > counts["test"] > counts["valid"] > 0


def test_disjoint_split_shares_no_items_between_subsets(small_catalog):
    root = small_catalog.root
    items = {
        subset: {e["item_id"] for o in _outfits(root, "disjoint", subset) for e in o["items"]}
        for subset in SUBSETS
    }
    assert not items["train"] & items["test"]
    assert not items["train"] & items["valid"]
    assert not items["valid"] & items["test"]


def test_nondisjoint_split_lets_items_recur(small_catalog):
    root = small_catalog.root
    train = {e["item_id"] for o in _outfits(root, "nondisjoint", "train") for e in o["items"]}
    test = {e["item_id"] for o in _outfits(root, "nondisjoint", "test") for e in o["items"]}
    assert train & test


def test_task_file_names_resolve_through_their_subset(small_catalog):
    root = small_catalog.root
    metadata = _json(root / "polyvore_item_metadata.json")
    for split in SPLITS:
        for subset in SUBSETS:
            names = _names(_outfits(root, split, subset))
            for question in _json(root / split / f"fill_in_blank_{subset}.json"):
                for name in (*question["question"], *question["answers"]):
                    assert names[name] in metadata
            for _, line_names in _compatibility(root, split, subset):
                for name in line_names:
                    assert names[name] in metadata


def test_fitb_answers_follow_the_release_rules(small_catalog):
    root = small_catalog.root
    metadata = _json(root / "polyvore_item_metadata.json")
    for split in SPLITS:
        for subset in SUBSETS:
            outfits = _outfits(root, split, subset)
            names = _names(outfits)
            by_set = {o["set_id"]: o for o in outfits}
            questions = _json(root / split / f"fill_in_blank_{subset}.json")
            assert len(questions) == small_catalog.summary.n_fitb[split][subset] > 0
            for q in questions:
                set_id = _set_id(q["question"][0])
                assert {_set_id(n) for n in q["question"]} == {set_id}
                assert len(q["answers"]) == 4
                right = [a for a in q["answers"] if _set_id(a) == set_id]
                assert len(right) == 1
                assert right[0] == f"{set_id}_{q['blank_position']}"
                outfit_items = {e["item_id"] for e in by_set[set_id]["items"]}
                assert len(q["question"]) == len(outfit_items) - 1
                semantic = metadata[names[right[0]]]["semantic_category"]
                wrong_items = [names[a] for a in q["answers"] if a not in right]
                assert len(set(wrong_items)) == 3
                assert not set(wrong_items) & outfit_items
                for item_id in wrong_items:
                    assert metadata[item_id]["semantic_category"] == semantic


def test_fitb_wrong_answers_are_mostly_colour_look_alikes(small_catalog):
    """Checked against the hidden labels, which the folder does not hold."""
    sample = build_sample(small_catalog.seed, small_catalog.config)
    items = {i.item_id: i for i in sample.items}
    for split in SPLITS:
        look_alikes = n_wrong = 0
        for subset in SUBSETS:
            names = {
                f"{o.set_id}_{n}": i
                for o in sample.outfits[split][subset]
                for i, n in zip(o.item_ids, o.indices, strict=True)
            }
            for q in sample.fitb[split][subset]:
                set_id = _set_id(q["question"][0])
                right = items[names[next(a for a in q["answers"] if _set_id(a) == set_id)]]
                wrong = [items[names[a]] for a in q["answers"] if _set_id(a) != set_id]
                n_wrong += len(wrong)
                look_alikes += sum(
                    w.colour == right.colour and w.style != right.style for w in wrong
                )
        # At least the share the generator reports (a random pick can be a look-alike too).
        assert look_alikes / n_wrong >= small_catalog.summary.lookalike_share[split] > 0.4


def test_compatibility_files_are_balanced_with_swapped_negatives(small_catalog):
    root = small_catalog.root
    metadata = _json(root / "polyvore_item_metadata.json")
    for split in SPLITS:
        for subset in SUBSETS:
            outfits = _outfits(root, split, subset)
            names = _names(outfits)
            lines = _compatibility(root, split, subset)
            labels = Counter(label for label, _ in lines)
            assert labels[1] == labels[0] == len(outfits)
            positives = {tuple(line_names) for label, line_names in lines if label == 1}
            assert positives == {
                tuple(f"{o['set_id']}_{e['index']}" for e in o["items"]) for o in outfits
            }
            for label, line_names in lines:
                sets = {_set_id(n) for n in line_names}
                if label == 1:
                    assert len(sets) == 1
                else:
                    assert len(sets) > 1
                    item_ids = [names[n] for n in line_names]
                    assert len(set(item_ids)) == len(item_ids)
                    assert all(metadata[i]["semantic_category"] for i in item_ids)


def test_typespaces_is_a_protocol_2_list_of_type_pairs(small_catalog):
    raw = (small_catalog.root / "disjoint" / "typespaces.p").read_bytes()
    assert raw[:2] == b"\x80\x02"
    pairs = pickle.loads(raw)  # our own file, written by this test session
    assert isinstance(pairs, list) and len(pairs) == 66
    assert all(isinstance(p, tuple) and len(p) == 2 for p in pairs)
    assert {t for p in pairs for t in p} == set(POLYVORE_TYPES)


def test_same_seed_gives_the_same_bytes(small_catalog, tmp_path: Path):
    again = write_sample(tmp_path / "again", small_catalog.seed, small_catalog.config)
    assert again == small_catalog.summary
    assert _digests(tmp_path / "again") == _digests(small_catalog.root)


def test_another_seed_gives_another_catalog(small_catalog):
    other = build_sample(small_catalog.seed + 1, small_catalog.config)
    ours = build_sample(small_catalog.seed, small_catalog.config)
    assert [i.item_id for i in other.items] != [i.item_id for i in ours.items]


def test_write_fills_an_empty_folder_and_refuses_a_full_one(tmp_path: Path):
    tiny = SampleConfig(n_items=200, n_outfits=100)
    (tmp_path / "empty").mkdir()
    write_sample(tmp_path / "empty", 0, tiny)
    assert (tmp_path / "empty" / "polyvore_item_metadata.json").is_file()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("user data")
    with pytest.raises(FileExistsError, match="not an empty folder"):
        write_sample(tmp_path / "full", 0, tiny)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["keep.txt"]
    # No temp folder left behind by either call.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "full"]


def test_config_rejects_shares_that_do_not_sum_to_one():
    with pytest.raises(ValueError, match="subset_fractions"):
        SampleConfig(subset_fractions=(0.5, 0.1, 0.1))


def test_colour_baseline_picks_the_colour_match(tmp_path: Path):
    """Exact value on a hand-made folder: one question whose right answer alone is red."""
    colours = {
        "100000001": "red",
        "100000002": "red",
        "100000003": "red",
        "100000004": "blue",
        "100000005": "green",
        "100000006": "yellow",
    }
    (tmp_path / "images").mkdir()
    for item_id, colour in colours.items():
        Image.new("RGB", (32, 32), colour).save(tmp_path / "images" / f"{item_id}.jpg")
    split = tmp_path / "nondisjoint"
    split.mkdir()
    outfits = [
        {
            "set_id": "900000001",
            "items": [
                {"item_id": "100000001", "index": 1},
                {"item_id": "100000002", "index": 2},
                {"item_id": "100000003", "index": 4},
            ],
        },
        {
            "set_id": "900000002",
            "items": [
                {"item_id": "100000004", "index": 1},
                {"item_id": "100000005", "index": 2},
                {"item_id": "100000006", "index": 3},
            ],
        },
    ]
    (split / "test.json").write_text(json.dumps(outfits))
    question = {
        "question": ["900000001_1", "900000001_2"],
        "answers": ["900000002_1", "900000001_4", "900000002_2", "900000002_3"],
        "blank_position": 4,
    }
    (split / "fill_in_blank_test.json").write_text(json.dumps([question]))
    assert color_histogram_fitb(tmp_path, "nondisjoint") == {"fitb_accuracy": 1.0, "n_fitb": 1}


@pytest.mark.slow
def test_default_catalog_sizes_and_colour_baseline(default_catalog):
    summary = default_catalog.summary
    assert summary.n_items >= 2000
    metadata = _json(default_catalog.root / "polyvore_item_metadata.json")
    assert {r["semantic_category"] for r in metadata.values()} == set(POLYVORE_TYPES)
    for split in SPLITS:
        assert sum(summary.n_outfits[split].values()) >= 1500
        for subset in SUBSETS:
            for outfit in _outfits(default_catalog.root, split, subset):
                assert 3 <= len(outfit["items"]) <= 8
        # Colour alone must not solve FITB: the look-alike distractors share the colour.
        baseline = color_histogram_fitb(default_catalog.root, split, "test")
        assert baseline["n_fitb"] == summary.n_fitb[split]["test"] >= 300
        assert baseline["fitb_accuracy"] <= 0.45, (split, baseline)
        assert summary.lookalike_share[split] >= 0.6
