"""Reader for a Polyvore Outfits folder (layout: docs polyvore-format.md).

The `read_*` functions parse one file each and record what is wrong in a `ProblemList`
instead of raising, so that `load_polyvore` (which raises) and `check_dataset` (which
reports) share one parser and cannot disagree about what a valid file is.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import pickle
from collections.abc import Container, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from model.data.errors import DatasetError, ProblemList
from model.data.types import (
    SUBSETS,
    CompatibilityOutfit,
    FitbQuestion,
    Item,
    Outfit,
    PolyvoreData,
    SplitData,
)

METADATA = "polyvore_item_metadata.json"
OUTFIT_TITLES = "polyvore_outfit_titles.json"
CATEGORIES = "categories.csv"
IMAGES = "images"
TYPESPACES = "typespaces.p"

# The real typespaces.p is a few kB; anything far larger is not that file.
MAX_TYPESPACES_BYTES = 1 << 20
# How many problem lines a DatasetError carries: about a screenful.
MAX_REPORTED = 20


def outfits_file(subset: str) -> str:
    return f"{subset}.json"


def compatibility_file(subset: str) -> str:
    return f"compatibility_{subset}.txt"


def fitb_file(subset: str) -> str:
    return f"fill_in_blank_{subset}.json"


def set_id_of(name: str) -> str:
    """The outfit part of a task-file name `<set_id>_<index>`."""
    return name.rpartition("_")[0]


def _text(value: Any) -> str:
    # Release fields are strings, but ids sometimes come back as ints from other tools and
    # empty titles as null; neither should stop a load.
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def plain_id(item_id: str) -> bool:
    """Whether `item_id` can name a file inside images/ and nothing outside it."""
    return bool(item_id) and item_id not in (".", "..") and not any(
        c in item_id for c in ("/", "\\", "\0"))


def _as_id(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def read_json(
    path: Path, label: str, problems: ProblemList, *, duplicates: list[str] | None = None
) -> Any | None:
    """The parsed file, or None with the reason recorded (missing, unreadable, not JSON).
    With `duplicates`, the keys that appear twice in one object are appended to it (plain
    json.loads keeps the last silently)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.add(f"{label}: missing; it is part of the Polyvore Outfits download")
        return None
    except OSError as exc:
        problems.add(f"{label}: cannot be read ({exc.strerror or exc})")
        return None
    hook = None
    if duplicates is not None:

        def hook(pairs: list[tuple[str, Any]]) -> dict:
            obj = dict(pairs)
            if len(obj) != len(pairs):
                seen: set[str] = set()
                duplicates.extend(k for k, _ in pairs if k in seen or seen.add(k))
            return obj

    try:
        return json.loads(data, object_pairs_hook=hook)
    except (ValueError, UnicodeDecodeError) as exc:
        problems.add(f"{label}: not valid JSON ({exc}); re-extract it from the download")
        return None


def read_items(path: Path, label: str, problems: ProblemList) -> dict[str, Item] | None:
    """Item records by id. An item without a semantic category is kept with an empty one (so
    outfits naming it are not reported twice) and recorded as a problem."""
    duplicates: list[str] = []
    raw = read_json(path, label, problems, duplicates=duplicates)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add(f"{label}: expected an object {{item_id: {{...}}}}, found {_kind(raw)}")
        return None
    for key in duplicates:
        problems.add(f"{label}: key {key!r} appears twice in one object; keep one entry per "
                     "item (a JSON reader would silently keep the last)",
                     f"{label}: duplicate keys")
    for item_id in raw:
        if not plain_id(item_id):
            problems.add(f"{label}: item id {item_id!r} is not a plain name; it names the "
                         f"file {IMAGES}/<item_id>.jpg, so it may not hold '/' or be '.'/'..'",
                         f"{label}: ids that are not plain names")
    no_category = f"{label}: items without a semantic_category"
    items: dict[str, Item] = {}
    for item_id, meta in raw.items():
        if not isinstance(meta, dict):
            problems.add(f"{label}: item {item_id} is {_kind(meta)}, not an object", no_category)
            items[item_id] = Item(item_id, "")
            continue
        # The release also holds `catgeories` (sic) and `related`; neither is needed.
        category = meta.get("semantic_category")
        if not isinstance(category, str) or not category:
            problems.add(
                f"{label}: item {item_id} has no semantic_category; give it one of the "
                "dataset's categories (e.g. 'tops')",
                no_category,
            )
            category = ""
        items[item_id] = Item(
            item_id,
            category,
            _text(meta.get("category_id")),
            _text(meta.get("title")),
            _text(meta.get("description")),
            _text(meta.get("url_name")),
        )
    return items


def read_categories(path: Path, label: str, problems: ProblemList) -> dict[str, tuple[str, str]]:
    """category_id -> (fine category, semantic category) from rows `id,fine,semantic`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(f"{label}: cannot be read ({exc})")
        return {}
    categories: dict[str, tuple[str, str]] = {}
    for lineno, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 3:
            problems.add(
                f"{label}:{lineno}: expected 3 fields category_id,fine_category,"
                f"semantic_category, found {len(row)}",
                f"{label}: rows without 3 fields",
            )
            continue
        category_id, fine, semantic = (cell.strip() for cell in row)
        if lineno == 1 and not category_id.isdigit():
            continue  # a header row
        categories[category_id] = (fine, semantic)
    return categories


def read_outfit_titles(path: Path, label: str, problems: ProblemList) -> dict[str, str]:
    raw = read_json(path, label, problems)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.add(f"{label}: expected an object {{set_id: {{...}}}}, found {_kind(raw)}")
        return {}
    return {
        set_id: _text(entry.get("title")) if isinstance(entry, dict) else _text(entry)
        for set_id, entry in raw.items()
    }


def read_outfits(
    path: Path, label: str, known_ids: Container[str] | None, problems: ProblemList
) -> list[Outfit] | None:
    """Outfits in file order, item ids sorted by `index`; None when the file is unusable as a
    whole. `known_ids` (None: skip the test) are the metadata's ids; an outfit naming others
    is still returned, so that the task files resolving through it do not repeat the same
    problem."""
    raw = read_json(path, label, problems)
    if raw is None:
        return None
    if not isinstance(raw, list):
        problems.add(f"{label}: expected a list of outfits, found {_kind(raw)}")
        return None
    malformed = f"{label}: malformed outfits"
    outfits: list[Outfit] = []
    seen: set[str] = set()
    for position, entry in enumerate(raw):
        set_id = _as_id(entry.get("set_id")) if isinstance(entry, dict) else None
        members = entry.get("items") if isinstance(entry, dict) else None
        if set_id is None or not isinstance(members, list) or not members:
            problems.add(
                f"{label}: entry {position} needs a set_id and a non-empty items list",
                malformed,
            )
            continue
        where = f"{label}: outfit {set_id} (entry {position})"
        if set_id in seen:
            problems.add(
                f"{where}: duplicate set_id; keep one entry per outfit",
                f"{label}: duplicate set ids",
            )
            continue
        seen.add(set_id)
        pairs: list[tuple[int, str]] = []
        for member in members:
            item_id = _as_id(member.get("item_id")) if isinstance(member, dict) else None
            index = member.get("index") if isinstance(member, dict) else None
            if item_id is None or not isinstance(index, int) or isinstance(index, bool):
                problems.add(
                    f"{where}: each item needs an item_id string and an integer index, "
                    f"found {member!r:.80}",
                    malformed,
                )
                pairs = []
                break
            pairs.append((index, item_id))
        if not pairs:
            continue
        pairs.sort()
        indices = tuple(index for index, _ in pairs)
        if len(set(indices)) != len(indices):
            problems.add(f"{where}: two items share an index; indices must be unique", malformed)
            continue
        item_ids = tuple(item_id for _, item_id in pairs)
        if known_ids is not None:
            for item_id in item_ids:
                if item_id not in known_ids:
                    problems.add(
                        f"{where}: item {item_id} is not in {METADATA}; the metadata and "
                        "the outfits come from different downloads?",
                        f"{label}: outfits naming unknown items",
                    )
        outfits.append(Outfit(set_id, item_ids, indices))
    return outfits


def outfit_names(outfits: Iterable[Outfit]) -> dict[str, str]:
    """`<set_id>_<index>` -> item id: how the task files of the same subset name items."""
    return {
        f"{outfit.set_id}_{index}": item_id
        for outfit in outfits
        for index, item_id in zip(outfit.indices, outfit.item_ids, strict=True)
    }


def _resolve(
    names: Sequence[str],
    lookup: Mapping[str, str],
    where: str,
    outfits_label: str,
    problems: ProblemList,
    kind: str,
) -> tuple[str, ...] | None:
    try:
        return tuple(lookup[name] for name in names)
    except KeyError as exc:
        problems.add(
            f"{where}: {exc.args[0]} names no item of {outfits_label} "
            "(`<set_id>_<index>` must be an outfit's item of the same subset)",
            kind,
        )
        return None


def read_compatibility(
    path: Path, label: str, lookup: Mapping[str, str], outfits_label: str, problems: ProblemList
) -> list[CompatibilityOutfit]:
    """Lines `1|0 <set_id>_<index> ...`, names resolved to item ids through `lookup`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.add(f"{label}: cannot be read ({exc})")
        return []
    unresolved = f"{label}: names that map to no item"
    result: list[CompatibilityOutfit] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{label}:{lineno}"
        if fields[0] not in ("0", "1") or len(fields) < 2:
            problems.add(
                f"{where}: expected `1|0` then item names, found {line.strip()!r:.80}",
                f"{label}: lines with a bad label",
            )
            continue
        item_ids = _resolve(fields[1:], lookup, where, outfits_label, problems, unresolved)
        if item_ids is not None:
            result.append(CompatibilityOutfit(int(fields[0]), item_ids))
    return result


def _names(value: Any) -> list[str] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def read_fitb(
    path: Path, label: str, lookup: Mapping[str, str], outfits_label: str, problems: ProblemList
) -> list[FitbQuestion]:
    """Questions with names resolved to item ids; `correct` is the position of the answer
    from the question's own outfit."""
    raw = read_json(path, label, problems)
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add(f"{label}: expected a list of questions, found {_kind(raw)}")
        return []
    malformed = f"{label}: malformed questions"
    unresolved = f"{label}: names that map to no item"
    questions: list[FitbQuestion] = []
    for position, entry in enumerate(raw):
        where = f"{label}: question {position}"
        if not isinstance(entry, dict):
            problems.add(f"{where}: expected an object, found {_kind(entry)}", malformed)
            continue
        question, answers = _names(entry.get("question")), _names(entry.get("answers"))
        blank = entry.get("blank_position")
        if question is None or answers is None or not isinstance(blank, int):
            problems.add(
                f"{where}: needs non-empty `question` and `answers` name lists and an "
                "integer `blank_position`",
                malformed,
            )
            continue
        outfit_ids = {set_id_of(name) for name in question}
        if len(outfit_ids) != 1:
            problems.add(
                f"{where}: question names items of {len(outfit_ids)} outfits, expected one",
                malformed,
            )
            continue
        set_id = outfit_ids.pop()
        right = [k for k, name in enumerate(answers) if set_id_of(name) == set_id]
        if len(right) != 1:
            problems.add(
                f"{where}: {len(right)} answers come from the question's outfit {set_id}, "
                "expected exactly one (the right answer)",
                f"{label}: questions without exactly one right answer",
            )
            continue
        question_ids = _resolve(question, lookup, where, outfits_label, problems, unresolved)
        answer_ids = _resolve(answers, lookup, where, outfits_label, problems, unresolved)
        if question_ids is not None and answer_ids is not None:
            questions.append(FitbQuestion(question_ids, answer_ids, right[0], blank, set_id))
    return questions


class _PlainDataUnpickler(pickle.Unpickler):
    """Builds only what pickle builds without a global: lists, tuples, strings, numbers,
    dicts. Every class or function lookup (the way a pickle runs code) is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused to load the global {module}.{name}")


def read_typespaces(path: Path) -> list[tuple[str, str]]:
    """The (type1, type2) pairs of a `typespaces.p`, read without running any code in it.
    Raises DatasetError for anything but a list (or tuple) of string pairs."""
    path = Path(path)
    label = f"{path.parent.name}/{path.name}"
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_TYPESPACES_BYTES + 1)
    except OSError as exc:
        raise DatasetError(f"{label}: cannot be read", [str(exc)]) from exc
    if len(data) > MAX_TYPESPACES_BYTES:
        raise DatasetError(
            f"{label}: too large for a list of type pairs",
            [
                f"{label}: over {MAX_TYPESPACES_BYTES} bytes; delete it or "
                "replace it with the file from the download"
            ],
        )
    try:
        raw = _PlainDataUnpickler(io.BytesIO(data)).load()
    except Exception as exc:  # any malformed pickle: the reason goes into the report
        raise DatasetError(
            f"{label}: not a plain pickle of type pairs",
            [
                f"{label}: {type(exc).__name__}: {exc}; it may hold only lists, tuples and "
                "strings. Delete it (the pairs are derived from the metadata) or re-download it"
            ],
        ) from exc
    pairs = raw if isinstance(raw, list | tuple) else None
    if pairs is None or not all(
        isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(t, str) for t in p)
        for p in pairs
    ):
        raise DatasetError(
            f"{label}: not a list of (type1, type2) string pairs",
            [f"{label}: found {raw!r:.80}; expected e.g. [('bottoms', 'tops'), ...]"],
        )
    return [(p[0], p[1]) for p in pairs]


def type_pairs(types: Iterable[str]) -> list[tuple[str, str]]:
    """Unordered type pairs, same-type pairs included, each as (u, v) with u <= v, sorted:
    the order of the type-pair spaces. n types give n(n+1)/2 pairs."""
    return list(itertools.combinations_with_replacement(sorted(set(types)), 2))


def image_ids(root: Path) -> set[str] | None:
    """Ids of the items that have `images/<id>.jpg`; None when the folder is missing. One
    directory listing: 365k `exists` calls would take longer than the whole load."""
    try:
        with os.scandir(Path(root) / IMAGES) as entries:
            return {e.name[:-4] for e in entries if e.name.endswith(".jpg")}
    except (FileNotFoundError, NotADirectoryError):
        return None


def _kind(value: Any) -> str:
    """What a JSON value is, with its article, for messages ("found a list")."""
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
    }.get(type(value), "null")


def load_polyvore(
    root: Path,
    split: str,
    subsets: Sequence[str] = SUBSETS,
    *,
    require_images: bool = False,
) -> PolyvoreData:
    """Items, outfits and task files of one split (`nondisjoint` or `disjoint`).

    Outfit files of the requested subsets are required; task files are optional (a missing
    one loads as an empty list). Any malformed content raises DatasetError listing what is
    wrong. With `require_images`, every item of the loaded outfits must have its image.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(
            f"{root}: not a folder", [f"{root}: point at the extracted polyvore_outfits folder"]
        )
    split_dir = root / split
    if not split_dir.is_dir():
        raise DatasetError(
            f"{root}: no {split}/ folder",
            [f"{split}/: missing; the download holds nondisjoint/ and disjoint/"],
        )
    problems = ProblemList()
    items = read_items(root / METADATA, METADATA, problems)
    categories: dict[str, tuple[str, str]] = {}
    if (root / CATEGORIES).is_file():
        categories = read_categories(root / CATEGORIES, CATEGORIES, problems)
    titles: dict[str, str] = {}
    if (root / OUTFIT_TITLES).is_file():
        titles = read_outfit_titles(root / OUTFIT_TITLES, OUTFIT_TITLES, problems)

    data = SplitData(split)
    for subset in subsets:
        outfits, compatibility, fitb = read_subset(split_dir, subset, items, problems)
        data.outfits[subset] = outfits
        data.compatibility[subset] = compatibility
        data.fitb[subset] = fitb

    if require_images:
        report_missing_images(root, data.outfits.values(), problems)
    if problems or items is None:
        raise DatasetError(
            f"{root}: the {split} split cannot be loaded ({len(problems)} problems); "
            f"`lookbook check {root}` checks the whole folder",
            problems.lines(limit=MAX_REPORTED),
        )
    types = tuple(sorted({item.semantic_category for item in items.values()}))
    return PolyvoreData(root, items, types, data, outfit_titles=titles, categories=categories)


def read_subset(
    split_dir: Path,
    subset: str,
    known_ids: Container[str] | None,
    problems: ProblemList,
    *,
    tasks_required: bool = False,
) -> tuple[list[Outfit], list[CompatibilityOutfit], list[FitbQuestion]]:
    """A subset's outfits and its task files (each optional unless `tasks_required`)."""
    split = split_dir.name
    outfits_label = f"{split}/{outfits_file(subset)}"
    outfits = read_outfits(split_dir / outfits_file(subset), outfits_label, known_ids, problems)
    if outfits is None:
        # The task files name items through these outfits: reading them now would only
        # repeat the same problem once per name.
        return [], [], []
    lookup = outfit_names(outfits)
    compat_path = split_dir / compatibility_file(subset)
    fitb_path = split_dir / fitb_file(subset)
    if tasks_required:
        for path in (compat_path, fitb_path):
            if not path.is_file():
                problems.add(f"{split}/{path.name}: missing; evaluation on {subset} needs it")
    compatibility = (
        read_compatibility(
            compat_path, f"{split}/{compat_path.name}", lookup, outfits_label, problems
        )
        if compat_path.is_file()
        else []
    )
    fitb = (
        read_fitb(fitb_path, f"{split}/{fitb_path.name}", lookup, outfits_label, problems)
        if fitb_path.is_file()
        else []
    )
    return outfits, compatibility, fitb


def report_missing_images(
    root: Path, outfit_lists: Iterable[Iterable[Outfit]], problems: ProblemList
) -> None:
    have = image_ids(root)
    if have is None:
        problems.add(f"{IMAGES}/: missing; it holds one <item_id>.jpg per item")
        return
    needed = {item_id for outfits in outfit_lists for o in outfits for item_id in o.item_ids}
    # ids that are not plain names were reported with the metadata
    for item_id in sorted(i for i in needed - have if plain_id(i)):
        problems.add(
            f"{IMAGES}/{item_id}.jpg: missing (an outfit names item {item_id})",
            f"{IMAGES}/: items with no image",
        )
