"""Admin reloads that reach every worker process.

Each uvicorn worker holds its own bundle, and a reload request reaches one of them. The one
that answers loads and checks the bundle, then records it in a marker file of a folder all
workers share (LOOKBOOK_RELOAD_DIR; `lookbook serve` makes one for several workers). Every
worker looks at the marker's modification time once per poll interval (one stat call) and,
when it names a newer generation, loads that bundle in a thread and swaps it in, exactly as
the admin route does. A worker that starts (or is restarted) after a reload begins with the
marker's bundle, so all workers serve the same generation.

Generations are numbered across workers: a reload takes an exclusive lock on the folder, so
two reloads sent to two workers at once get generations n+1 and n+2, in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from app.core import heap
from app.state import Served, load_served
from model.io import atomic_write_text

MARKER = "reload.json"
LOCK = "reload.lock"
log = logging.getLogger("lookbook.reload")


@dataclass(frozen=True)
class ReloadMarker:
    generation: int
    artifacts: str
    model_hash: str


def read_marker(folder: Path) -> ReloadMarker | None:
    try:
        return ReloadMarker(**json.loads((Path(folder) / MARKER).read_text()))
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Across processes: one reload at a time (blocks; call it from a thread)."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_and_announce(folder: Path, target: Path, previous: Served) -> Served:
    """Load and check `target` (raises if it fails, announcing nothing), then record it as
    the next generation for the other workers."""
    with exclusive(folder):
        latest = read_marker(folder)
        generation = max(previous.generation, latest.generation if latest else 0) + 1
        fresh = replace(load_served(target, previous=previous), generation=generation)
        marker = ReloadMarker(generation, str(Path(target).resolve()),
                              fresh.catalog.manifest.model_hash)
        # atomic: a worker polling meanwhile reads the old marker or this one, never a part
        atomic_write_text(Path(folder) / MARKER, json.dumps(asdict(marker)))
    return fresh


def load_at_start(folder: Path | None, artifacts: Path) -> Served:
    """The bundle a starting worker serves: the last reload's, if there was one."""
    marker = read_marker(folder) if folder is not None else None
    if marker is None:
        return load_served(artifacts)
    return replace(load_served(Path(marker.artifacts)), generation=marker.generation)


async def follow(app, folder: Path, interval: float) -> None:
    """Run for the life of the worker: apply the reloads other workers announce."""
    path = Path(folder) / MARKER
    seen = None
    while True:
        await asyncio.sleep(interval)
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            continue
        if stamp == seen:
            continue
        seen = stamp
        try:
            await apply_announced(app, folder)
        except Exception:  # the loop must outlive any one failure; it is logged and counted
            log.exception("following a reload failed")


async def apply_announced(app, folder: Path) -> None:
    """Load the generation the marker names, if newer than this worker's."""
    state = app.state
    async with state.reload_lock:
        marker = read_marker(folder)
        previous: Served = state.served
        if marker is None or marker.generation <= previous.generation:
            return  # this worker's own reload, or an older one
        try:
            fresh = await run_in_threadpool(load_served, Path(marker.artifacts),
                                            previous=previous)
        except Exception as exc:
            state.metrics.reloads.labels("follow_failed").inc()
            log.error("generation %d (%s) could not be loaded here, generation %d keeps "
                      "serving: %s", marker.generation, marker.artifacts, previous.generation,
                      exc)
            return
        fresh = replace(fresh, generation=marker.generation)
        state.served = fresh
        state.metrics.reloads.labels("followed").inc()
        state.metrics.set_bundle(fresh.catalog.manifest.model_hash, fresh.generation)
        heap.settle()
    log.info("followed reload to generation %d: %s, model %s", marker.generation,
             marker.artifacts, marker.model_hash)
