"""Broken copies of a Polyvore Outfits folder: one per way a real download gets damaged
(missing files, truncated JSON, names that map to nothing, images that are not images, empty
outfits, duplicate ids, wrong encodings, a hostile `typespaces.p` ...).

Each breakage edits a copy of a good folder (the sample catalog, `write_sample`) in place and
names the file that `lookbook check` and `lookbook train` must point at when they refuse it.
The reliability tests (tests/reliability/test_broken_datasets.py) run both commands on every
one; docs/reliability.md lists them.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from model.data.polyvore import METADATA, TYPESPACES

SPLIT = "nondisjoint"  # the split the breakages damage, and the one `train` is run on


@dataclass(frozen=True)
class Breakage:
    name: str
    what: str  # the damage, in words
    names: str  # a file or id the refusal must mention
    apply: Callable[[Path], None]


def _load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def _dump(path: Path, data) -> None:
    path.write_text(json.dumps(data), encoding="utf-8")


def _first_outfit(root: Path, subset: str = "train") -> dict:
    return _load(root / SPLIT / f"{subset}.json")[0]


def _edit(relative: str, change: Callable) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        data = _load(root / relative)
        change(data, root)
        _dump(root / relative, data)

    return apply


def _remove(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return apply


def _truncate(relative: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / relative
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])  # a download cut off half way

    return apply


def _image_of_first_outfit(root: Path) -> Path:
    return root / "images" / f"{_first_outfit(root)['items'][0]['item_id']}.jpg"


def _replace_image(content: bytes | None) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = _image_of_first_outfit(root)
        if content is None:  # a folder where the image should be
            path.unlink()
            path.mkdir()
        else:
            path.write_bytes(content)

    return apply


def _image_is_a_link_out(root: Path) -> None:
    # a path trick: the image "exists" but is a file of the system, which is no image
    path = _image_of_first_outfit(root)
    path.unlink()
    os.symlink("/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd", path)


def _unknown_item(outfit: list, root: Path) -> None:
    outfit[0]["items"].append({"item_id": "999999999999", "index": 99})


def _path_trick_id(metadata: dict, root: Path) -> None:
    # an id that would make images/<id>.jpg a file outside images/
    item_id = _first_outfit(root)["items"][0]["item_id"]
    metadata["../../escape"] = metadata[item_id]
    outfits = _load(root / SPLIT / "train.json")
    outfits[0]["items"][0]["item_id"] = "../../escape"
    _dump(root / SPLIT / "train.json", outfits)


def _fitb_names_nothing(questions: list, root: Path) -> None:
    set_id = questions[0]["question"][0].rpartition("_")[0]
    questions[0]["question"][0] = f"{set_id}_77"


def _compat_names_nothing(root: Path) -> None:
    path = root / SPLIT / "compatibility_test.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0] + " 1_1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _empty_outfit(outfits: list, root: Path) -> None:
    outfits[0]["items"] = []


def _duplicate_set_id(outfits: list, root: Path) -> None:
    outfits[1]["set_id"] = outfits[0]["set_id"]


def _duplicate_item_id(root: Path) -> None:
    # the same id twice in the metadata object, with another category: json.loads would keep
    # the second silently
    path = root / METADATA
    item_id = _first_outfit(root)["items"][0]["item_id"]
    twin = json.dumps({**_load(path)[item_id], "semantic_category": "shoes"})
    text = path.read_text(encoding="utf-8").rstrip()
    path.write_text(f'{text[:-1]}, "{item_id}": {twin}}}', encoding="utf-8")


def _duplicate_index(outfits: list, root: Path) -> None:
    outfits[0]["items"][1]["index"] = outfits[0]["items"][0]["index"]


def _no_category(metadata: dict, root: Path) -> None:
    metadata[_first_outfit(root)["items"][0]["item_id"]].pop("semantic_category")


def _unknown_category(metadata: dict, root: Path) -> None:
    metadata[_first_outfit(root)["items"][0]["item_id"]]["semantic_category"] = "capes"


def _latin1_metadata(root: Path) -> None:
    # an editor's "save as Latin-1": é becomes the single byte 0xE9, not valid UTF-8
    path = root / METADATA
    metadata = _load(path)
    item_id = _first_outfit(root)["items"][0]["item_id"]
    metadata[item_id]["title"] = "robe d'été"
    path.write_bytes(json.dumps(metadata, ensure_ascii=False).encode("latin-1"))


def _utf16_task_file(root: Path) -> None:
    path = root / SPLIT / "compatibility_valid.txt"
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))


class _RunsCode:
    """Unpickling this calls os.system: what a hostile typespaces.p does."""

    def __reduce__(self):
        return (os.system, ("touch /tmp/lookbook-pwned",))


def _hostile_typespaces(root: Path) -> None:
    (root / SPLIT / TYPESPACES).write_bytes(pickle.dumps([_RunsCode()]))


def _huge_typespaces(root: Path) -> None:
    (root / SPLIT / TYPESPACES).write_bytes(b"\x80\x02]q\x00" + b"\x00" * (2 << 20))


def _split_is_a_file(root: Path) -> None:
    shutil.rmtree(root / SPLIT)
    (root / SPLIT).write_text("not a folder", encoding="utf-8")


def _item_without_image(metadata: dict, root: Path) -> None:
    # in the metadata, in no outfit, and with no image: training embeds every item
    entry = dict(next(iter(metadata.values())))
    metadata["888888888888"] = entry


def _empty_folder(root: Path) -> None:
    for child in list(root.iterdir()):
        shutil.rmtree(child) if child.is_dir() else child.unlink()


BREAKAGES: tuple[Breakage, ...] = (
    Breakage("missing-metadata", "polyvore_item_metadata.json deleted", METADATA,
             _remove(METADATA)),
    Breakage("missing-outfits", "the split's train.json deleted", "train.json",
             _remove(f"{SPLIT}/train.json")),
    Breakage("missing-eval-task", "fill_in_blank_valid.json deleted", "fill_in_blank_valid.json",
             _remove(f"{SPLIT}/fill_in_blank_valid.json")),
    Breakage("missing-images-folder", "images/ deleted", "images/", _remove("images")),
    Breakage("missing-image", "the image of an outfit's item deleted", "images/",
             lambda root: _image_of_first_outfit(root).unlink()),
    Breakage("empty-folder", "nothing in the folder", METADATA, _empty_folder),
    Breakage("split-is-a-file", "nondisjoint is a file", SPLIT, _split_is_a_file),
    Breakage("truncated-metadata", "metadata cut off half way", METADATA,
             _truncate(METADATA)),
    Breakage("truncated-outfits", "train.json cut off half way", "train.json",
             _truncate(f"{SPLIT}/train.json")),
    Breakage("truncated-fitb", "fill_in_blank_test.json cut off half way",
             "fill_in_blank_test.json", _truncate(f"{SPLIT}/fill_in_blank_test.json")),
    Breakage("outfit-names-unknown-item", "an outfit names an id the metadata lacks",
             "999999999999", _edit(f"{SPLIT}/train.json", _unknown_item)),
    Breakage("fitb-name-maps-to-nothing", "a FITB question names <set_id>_77", "_77",
             _edit(f"{SPLIT}/fill_in_blank_test.json", _fitb_names_nothing)),
    Breakage("compat-name-maps-to-nothing", "a compatibility line names 1_1", "1_1",
             _compat_names_nothing),
    Breakage("path-trick-item-id", "an item id ../../escape", "../../escape",
             _edit(METADATA, _path_trick_id)),
    Breakage("image-not-an-image", "an image that is a text file", "images/",
             _replace_image(b"<html>404 Not Found</html>\n")),
    Breakage("image-empty", "an image of zero bytes", "images/", _replace_image(b"")),
    Breakage("image-is-a-folder", "a folder named <id>.jpg", "images/", _replace_image(None)),
    Breakage("image-links-out", "an image that is a symlink to a system file", "images/",
             _image_is_a_link_out),
    Breakage("item-without-image", "a metadata item with no image", "888888888888",
             _edit(METADATA, _item_without_image)),
    Breakage("empty-outfit", "an outfit with no items", "train.json",
             _edit(f"{SPLIT}/train.json", _empty_outfit)),
    Breakage("duplicate-set-id", "two outfits share a set_id", "duplicate set_id",
             _edit(f"{SPLIT}/train.json", _duplicate_set_id)),
    Breakage("duplicate-item-id", "one item id twice in the metadata", "appears twice",
             _duplicate_item_id),
    Breakage("duplicate-index", "two items of an outfit share an index", "train.json",
             _edit(f"{SPLIT}/train.json", _duplicate_index)),
    Breakage("missing-category", "an item without semantic_category", "semantic_category",
             _edit(METADATA, _no_category)),
    Breakage("unknown-category", "an item of semantic_category 'capes'", "capes",
             _edit(METADATA, _unknown_category)),
    Breakage("latin1-metadata", "metadata saved as Latin-1, not UTF-8", METADATA,
             _latin1_metadata),
    Breakage("utf16-task-file", "compatibility_valid.txt saved as UTF-16",
             "compatibility_valid.txt", _utf16_task_file),
    Breakage("hostile-typespaces", "typespaces.p whose unpickling runs os.system", TYPESPACES,
             _hostile_typespaces),
    Breakage("huge-typespaces", "a 2 MiB typespaces.p", TYPESPACES, _huge_typespaces),
)


def write_broken(good: Path, out: Path, breakage: Breakage) -> Path:
    """A copy of the good folder `good` at `out`, damaged by `breakage`."""
    shutil.copytree(good, out, symlinks=True)
    breakage.apply(out)
    return out
