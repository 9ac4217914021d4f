"""Helpers shared by the reliability tests."""

from __future__ import annotations

import os
from pathlib import Path


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under `root` (links not followed) with its kind, size and mtime: equal
    snapshots mean nothing was written, added or removed there."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            entries[str(path.relative_to(root))] = (info.st_mode, info.st_size, info.st_mtime_ns)
    return entries
