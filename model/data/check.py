"""`lookbook check DIR`: everything that would stop a Polyvore Outfits folder from being
used, found in one pass and reported at once instead of one failed load at a time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from model.data.errors import DatasetError, ProblemList
from model.data.images import report_image_files
from model.data.polyvore import (
    CATEGORIES,
    METADATA,
    OUTFIT_TITLES,
    TYPESPACES,
    plain_id,
    read_categories,
    read_items,
    read_outfit_titles,
    read_subset,
    read_typespaces,
    report_missing_images,
)
from model.data.types import POLYVORE_TYPES, SPLITS, SUBSETS, Item, Outfit

# Evaluation (FITB accuracy, compatibility AUC, calibration) needs these subsets' task files;
# the training subset's are not used, so their absence is fine.
EVAL_SUBSETS: tuple[str, ...] = ("valid", "test")

T = TypeVar("T")


def check_dataset(
    root: Path, splits: Sequence[str] = SPLITS, *, max_problems: int = 20
) -> list[str]:
    """Human-readable problems of the folder at `root`, at most `max_problems` lines plus a
    final "... and N more"; empty when the folder is usable. Never raises on bad input."""
    problems = ProblemList()
    _guarded(problems, str(root), _check, Path(root), tuple(splits), problems)
    return problems.lines(limit=max_problems)


def _guarded(problems: ProblemList, label: str, step: Callable[..., T], *args: Any) -> T | None:
    # A checker that crashes on the broken file it was asked about reports nothing; whatever
    # a parser did not foresee becomes one more line of the report.
    try:
        return step(*args)
    except Exception as exc:
        problems.add(f"{label}: could not be checked ({type(exc).__name__}: {exc})")
        return None


def _check(root: Path, splits: tuple[str, ...], problems: ProblemList) -> None:
    if not root.is_dir():
        problems.add(f"{root}: not a folder; point at the extracted polyvore_outfits folder")
        return
    items = read_items(root / METADATA, METADATA, problems)
    known = set(POLYVORE_TYPES)
    if (root / CATEGORIES).is_file():
        categories = read_categories(root / CATEGORIES, CATEGORIES, problems)
        # A folder may declare categories of its own beside the release's eleven.
        known |= {semantic for _, semantic in categories.values()}
    if items is not None:
        _check_categories(items, known, problems)
    if (root / OUTFIT_TITLES).is_file():
        read_outfit_titles(root / OUTFIT_TITLES, OUTFIT_TITLES, problems)

    all_outfits: list[list[Outfit]] = []
    for split in splits:
        split_dir = root / split
        if not split_dir.is_dir():
            problems.add(
                f"{split}/: missing; extract it from the download, or check only "
                "the splits you have"
            )
            continue
        for subset in SUBSETS:
            subset_data = _guarded(
                problems,
                f"{split}/{subset}",
                partial(read_subset, tasks_required=subset in EVAL_SUBSETS),
                split_dir,
                subset,
                items,
                problems,
            )
            if subset_data is not None:
                all_outfits.append(subset_data[0])
        if (split_dir / TYPESPACES).is_file():
            try:
                read_typespaces(split_dir / TYPESPACES)
            except DatasetError as exc:
                for line in exc.problems:
                    problems.add(line)
    report_missing_images(root, all_outfits, problems)
    if items is not None:
        report_image_files(root, (i for i in items if plain_id(i)), all_outfits, problems)


def _check_categories(items: dict[str, Item], known: set[str], problems: ProblemList) -> None:
    unknown_kind = f"{METADATA}: items with an unknown semantic_category"
    expected = ", ".join(sorted(known))
    for item in items.values():
        # Empty categories were reported while reading.
        if item.semantic_category and item.semantic_category not in known:
            problems.add(
                f"{METADATA}: item {item.item_id} has semantic_category "
                f"{item.semantic_category!r}, not one of: {expected}",
                unknown_kind,
            )
