from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from model.data.check import check_dataset
from model.data.errors import ProblemList


def test_a_good_folder_has_no_problems(polyvore_root: Path) -> None:
    assert check_dataset(polyvore_root) == []


def _edit_json(relative: str, edit: Callable) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        data = json.loads(path.read_text())
        edit(data)
        path.write_text(json.dumps(data))

    return apply


def _write(relative: str, content: str | bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return apply


def _remove(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return apply


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


# (what is broken, the problem line check_dataset must report)
CASES = {
    "missing-metadata": (
        _remove("polyvore_item_metadata.json"),
        "polyvore_item_metadata.json: missing; it is part of the Polyvore Outfits download",
    ),
    "missing-images-folder": (
        _remove("images"),
        "images/: missing; it holds one <item_id>.jpg per item",
    ),
    "missing-split-file": (
        _remove("disjoint/valid.json"),
        "disjoint/valid.json: missing; it is part of the Polyvore Outfits download",
    ),
    "missing-eval-task-file": (
        _remove("nondisjoint/fill_in_blank_test.json"),
        "nondisjoint/fill_in_blank_test.json: missing; evaluation on test needs it",
    ),
    "missing-split-folder": (
        _remove("disjoint"),
        "disjoint/: missing; extract it from the download, or check only the splits you have",
    ),
    "unparsable-json": (
        _write("disjoint/fill_in_blank_valid.json", '[{"question": ["310000001_1",'),
        "disjoint/fill_in_blank_valid.json: not valid JSON (Expecting value: line 1 column 30 "
        "(char 29)); re-extract it from the download",
    ),
    "outfit-with-unknown-item": (
        _edit_json(
            "disjoint/train.json", lambda o: o[0]["items"].append({"item_id": "777", "index": 9})
        ),
        "disjoint/train.json: outfit 224930161 (entry 0): item 777 is not in "
        "polyvore_item_metadata.json; the metadata and the outfits come from different "
        "downloads?",
    ),
    "task-name-without-item": (
        _write("nondisjoint/compatibility_valid.txt", "1 310000001_1 310000001_4\n"),
        "nondisjoint/compatibility_valid.txt:1: 310000001_4 names no item of "
        "nondisjoint/valid.json (`<set_id>_<index>` must be an outfit's item of the same "
        "subset)",
    ),
    "task-name-from-another-subset": (
        _write("nondisjoint/compatibility_test.txt", "1 410000001_1 224930161_1\n"),
        "nondisjoint/compatibility_test.txt:1: 224930161_1 names no item of "
        "nondisjoint/test.json (`<set_id>_<index>` must be an outfit's item of the same "
        "subset)",
    ),
    "item-without-image": (
        _remove("images/213344001.jpg"),
        "images/213344001.jpg: missing (an outfit names item 213344001)",
    ),
    "unknown-semantic-category": (
        _edit_json(
            "polyvore_item_metadata.json",
            lambda m: m["213343995"].__setitem__("semantic_category", "handbags"),
        ),
        "polyvore_item_metadata.json: item 213343995 has semantic_category 'handbags', not "
        "one of: accessories, all-body, bags, bottoms, hats, jewellery, outerwear, scarves, "
        "shoes, sunglasses, tops",
    ),
    "missing-semantic-category": (
        _edit_json(
            "polyvore_item_metadata.json", lambda m: m["213343995"].pop("semantic_category")
        ),
        "polyvore_item_metadata.json: item 213343995 has no semantic_category; give it one "
        "of the dataset's categories (e.g. 'tops')",
    ),
    "fitb-without-right-answer": (
        _edit_json(
            "disjoint/fill_in_blank_test.json",
            lambda q: q[0]["answers"].__setitem__(1, "410000001_2"),
        ),
        "disjoint/fill_in_blank_test.json: question 0: 0 answers come from the question's "
        "outfit 410000002, expected exactly one (the right answer)",
    ),
    "fitb-malformed": (
        _edit_json("disjoint/fill_in_blank_test.json", lambda q: q[0].pop("blank_position")),
        "disjoint/fill_in_blank_test.json: question 0: needs non-empty `question` and "
        "`answers` name lists and an integer `blank_position`",
    ),
    "compatibility-bad-label": (
        _write(
            "nondisjoint/compatibility_test.txt",
            "1 410000001_1 410000001_2\n-1 410000001_1 410000001_2\n",
        ),
        "nondisjoint/compatibility_test.txt:2: expected `1|0` then item names, found "
        "'-1 410000001_1 410000001_2'",
    ),
    "duplicate-set-id": (
        _edit_json("nondisjoint/test.json", lambda o: o.append(o[0])),
        "nondisjoint/test.json: outfit 410000001 (entry 2): duplicate set_id; keep one entry "
        "per outfit",
    ),
    "outfit-without-index": (
        _edit_json("nondisjoint/train.json", lambda o: o[1]["items"][0].pop("index")),
        "nondisjoint/train.json: outfit 224930162 (entry 1): each item needs an item_id "
        "string and an integer index, found {'item_id': '213343993'}",
    ),
    "typespaces-not-pairs": (
        _write("disjoint/typespaces.p", pickle.dumps({"tops": ["bottoms"]})),
        "disjoint/typespaces.p: found {'tops': ['bottoms']}; expected e.g. "
        "[('bottoms', 'tops'), ...]",
    ),
    "typespaces-hostile": (
        _write("disjoint/typespaces.p", pickle.dumps([_Exploit()])),
        "disjoint/typespaces.p: UnpicklingError: refused to load the global posix.system",
    ),
    "metadata-not-an-object": (
        _write("polyvore_item_metadata.json", "[1, 2]"),
        "polyvore_item_metadata.json: expected an object {item_id: {...}}, found a list",
    ),
    "categories-csv-short-row": (
        _write("categories.csv", "11,Tops,tops\n27,bottoms\n35,Totes,bags\n41,Shoes,shoes\n"),
        "categories.csv:2: expected 3 fields category_id,fine_category,semantic_category, found 2",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_each_problem_is_reported_with_its_file(polyvore_root: Path, case: str) -> None:
    breakage, expected = CASES[case]
    breakage(polyvore_root)
    problems = check_dataset(polyvore_root)
    assert any(line.startswith(expected) for line in problems), problems


def test_only_the_requested_splits_are_needed(polyvore_root: Path) -> None:
    shutil.rmtree(polyvore_root / "disjoint")
    assert check_dataset(polyvore_root, splits=("nondisjoint",)) == []
    assert check_dataset(polyvore_root) == [
        "disjoint/: missing; extract it from the download, or check only the splits you have"
    ]


def test_train_task_files_and_optional_files_may_be_absent(polyvore_root: Path) -> None:
    for name in ("polyvore_outfit_titles.json", "categories.csv", "nondisjoint/typespaces.p"):
        (polyvore_root / name).unlink()
    assert check_dataset(polyvore_root) == []


def test_a_missing_root_is_one_problem(tmp_path: Path) -> None:
    assert check_dataset(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: not a folder; point at the extracted polyvore_outfits folder"
    ]


def test_the_report_is_capped_at_a_screenful(polyvore_root: Path) -> None:
    shutil.rmtree(polyvore_root / "images")
    (polyvore_root / "images").mkdir()
    # 12 images missing: a few named, the rest counted, and the other kinds still shown.
    _write("disjoint/compatibility_test.txt", "2 410000001_1\n3 410000001_1\n")(polyvore_root)
    problems = check_dataset(polyvore_root, max_problems=20)
    assert problems == [
        "disjoint/compatibility_test.txt:1: expected `1|0` then item names, found '2 410000001_1'",
        "disjoint/compatibility_test.txt:2: expected `1|0` then item names, found '3 410000001_1'",
        "images/213343990.jpg: missing (an outfit names item 213343990)",
        "images/213343991.jpg: missing (an outfit names item 213343991)",
        "images/213343992.jpg: missing (an outfit names item 213343992)",
        "... and 9 more like this: images/: items with no image",
    ]
    capped = check_dataset(polyvore_root, max_problems=3)
    assert capped[:3] == problems[:3]
    assert capped[3] == "... and 11 more"


def test_problem_list_counts_what_it_holds_back() -> None:
    problems = ProblemList(per_kind=2)
    for n in range(5):
        problems.add(f"a.json: entry {n} is bad", "a.json: bad entries")
    problems.add("b.json: missing")
    assert len(problems) == 6
    assert problems.lines() == [
        "a.json: entry 0 is bad",
        "a.json: entry 1 is bad",
        "... and 3 more like this: a.json: bad entries",
        "b.json: missing",
    ]
    assert problems.lines(limit=2) == [
        "a.json: entry 0 is bad",
        "a.json: entry 1 is bad",
        "... and 4 more",
    ]


GARBAGE = {
    "root-is-a-file": lambda root: (shutil.rmtree(root), root.write_text("x")),
    "split-is-a-file": lambda root: (
        shutil.rmtree(root / "disjoint"),
        (root / "disjoint").write_text("x"),
    ),
    "outfits-are-an-object": _write("nondisjoint/train.json", '{"set_id": 1}'),
    "outfit-entries-are-strings": _write("nondisjoint/train.json", '["a", 3, null]'),
    "outfit-items-are-strings": _write(
        "nondisjoint/test.json", '[{"set_id": "1", "items": ["a", 2]}]'
    ),
    "fitb-entries-are-lists": _write("nondisjoint/fill_in_blank_test.json", "[[1, 2], 3]"),
    "fitb-names-are-numbers": _write(
        "nondisjoint/fill_in_blank_test.json",
        '[{"question": [1, 2], "answers": [3], "blank_position": 1}]',
    ),
    "metadata-entries-are-numbers": _write("polyvore_item_metadata.json", '{"1": 2}'),
    "titles-are-a-list": _write("polyvore_outfit_titles.json", "[]"),
    "binary-compatibility": _write("disjoint/compatibility_test.txt", b"\xff\xfe\x00\x81"),
    "binary-json": _write("disjoint/test.json", b"\xff\xfe\x00\x81"),
    "binary-categories": _write("categories.csv", b"\xff\xfe\x00\x81"),
    "metadata-is-a-folder": lambda root: (
        (root / "polyvore_item_metadata.json").unlink(),
        (root / "polyvore_item_metadata.json").mkdir(),
    ),
}


@pytest.mark.parametrize("case", GARBAGE)
def test_garbage_is_reported_never_raised(polyvore_root: Path, case: str) -> None:
    GARBAGE[case](polyvore_root)
    problems = check_dataset(polyvore_root)
    assert problems and all(isinstance(line, str) and line for line in problems)
    # Each was foreseen by a parser, not caught by the last-resort guard.
    assert not any("could not be checked" in line for line in problems), problems
    assert len(problems) <= 21


def test_a_category_declared_in_categories_csv_is_known(polyvore_root: Path) -> None:
    _edit_json(
        "polyvore_item_metadata.json",
        lambda m: m["213343995"].__setitem__("semantic_category", "handbags"),
    )(polyvore_root)
    with (polyvore_root / "categories.csv").open("a") as handle:
        handle.write("36,Clutches,handbags\n")
    assert check_dataset(polyvore_root) == []
