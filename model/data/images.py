"""Whether every item's image file is an image, checked on its first bytes.

Training embeds every metadata item (model/catalog.py), so every item needs a readable image,
not only those the checked outfits name. A full decode of 261k photos would take longer than
the rest of the check together; the signature catches the usual damage (an HTML error page
saved as .jpg, an empty file, a folder or a link in its place) for one small read per file.
A truncated JPEG still passes here and is named by the feature extractor when it decodes it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from model.data.errors import ProblemList
from model.data.polyvore import IMAGES, METADATA
from model.data.types import Outfit

# Formats PIL decodes that a product photo comes in (the release's are all JPEG).
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")
_HEAD = 12


def _is_image(head: bytes) -> bool:
    if head.startswith(_SIGNATURES):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _problem(path: Path) -> str | None:
    """Why the file at `path` is not an image, or None when its first bytes are one."""
    try:
        # a link is followed (images/ may be a farm of links); what it points at must be an
        # image like any other file
        info = path.stat()
    except FileNotFoundError:
        return "is a link to nothing" if path.is_symlink() else None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        return "is not a file"
    if info.st_size == 0:
        return "is empty"
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            head = os.read(fd, _HEAD)
        finally:
            os.close(fd)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not _is_image(head):
        return f"is not a JPEG, PNG, GIF, BMP or WebP image (starts with {head[:8]!r})"
    return None


def report_image_files(root: Path, item_ids: Iterable[str],
                       outfit_lists: Iterable[Iterable[Outfit]], problems: ProblemList) -> None:
    """Add a problem for each item whose image is not an image, and for each metadata item
    without one that no outfit names (those that outfits name are reported as missing
    already, by `report_missing_images`)."""
    folder = Path(root) / IMAGES
    if not folder.is_dir():
        return  # reported once already
    named = {item_id for outfits in outfit_lists for o in outfits for item_id in o.item_ids}
    with os.scandir(folder) as entries:
        present = {e.name[:-4] for e in entries if e.name.endswith(".jpg")}
    unreadable = f"{IMAGES}/: files that are not images"
    unnamed = f"{IMAGES}/: metadata items with no image"
    for item_id in sorted(item_ids):
        if item_id not in present:
            if item_id not in named:
                problems.add(f"{IMAGES}/{item_id}.jpg: missing (item {item_id} is in "
                             f"{METADATA}; training embeds every item)", unnamed)
            continue
        reason = _problem(folder / f"{item_id}.jpg")
        if reason is not None:
            problems.add(f"{IMAGES}/{item_id}.jpg {reason}", unreadable)
