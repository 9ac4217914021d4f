"""Atomic file writes: a reader, or a run resumed after a crash, sees either the old file or
the complete new one, never a prefix. Write to a temp file in the target's directory (a
rename is only atomic within one filesystem), fsync it, rename over the target, then fsync
the directory so the rename itself survives a power loss."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import torch


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files 0600; a finished artifact should get the mode a plain open() gives
_FILE_MODE = 0o666 & ~_current_umask()


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Yield a binary file that replaces `path` only if the block exits without error."""
    target = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def remove_torn_writes(path: str | os.PathLike[str]) -> list[Path]:
    """Delete the temp files `atomic_writer` left beside `path` when its process was killed
    mid-write (SIGKILL runs no cleanup). Only for a caller that is the one writer of `path`:
    another writer's temp file in progress looks the same."""
    target = Path(path)
    torn = sorted(target.parent.glob(f".{target.name}.*.tmp"))
    for tmp in torn:
        tmp.unlink(missing_ok=True)
    return torn


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_writer(path) as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def atomic_save_numpy(path: str | os.PathLike[str], array: np.ndarray) -> None:
    """Save as .npy (no pickled objects); np.save would append '.npy' to a path, not to a file."""
    with atomic_writer(path) as f:
        np.save(f, np.asarray(array), allow_pickle=False)


def atomic_torch_save(obj: Any, path: str | os.PathLike[str]) -> None:
    """torch.save with the argument order of torch.save."""
    with atomic_writer(path) as f:
        torch.save(obj, f)


def replace_directory(staging: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
    """Put the finished folder `staging` at `target`, replacing any folder there.

    Two renames, not one: POSIX cannot atomically swap two non-empty folders. A reader sees
    the old folder or the new one, and only for the instant between the renames neither;
    the old folder is deleted only once the new one is in place.
    """
    staging, target = Path(staging), Path(target)
    staging.chmod(0o755)  # mkdtemp's 0700 would hide the folder from a non-root reader
    if not target.exists():
        staging.rename(target)
    else:
        retired = target.parent / f".{target.name}.retired-{staging.name.lstrip('.')}"
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired, ignore_errors=True)
    _fsync_directory(target.parent)


@contextlib.contextmanager
def atomic_directory(
    target: str | os.PathLike[str], *, before_swap: contextlib.AbstractContextManager | None = None
) -> Iterator[Path]:
    """Yield an empty hidden sibling of `target`; when the block succeeds it replaces
    `target` (under `before_swap`, e.g. a lock, when given); when it fails it is deleted."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.staging-"))
    try:
        yield staging
        with before_swap or contextlib.nullcontext():
            replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
