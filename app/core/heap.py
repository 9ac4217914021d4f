"""Keeps the garbage collector's full passes off the request path.

A worker holds about half a million long-lived objects (torch, torchvision, timm, FastAPI,
the bundle). CPython's oldest-generation collection walks all of them: 100-220 ms measured,
every few thousand requests, a stall that every request in flight waits through. Freezing
the heap once it is loaded moves those objects out of the collector's view, so the passes
during serving only walk what requests allocate.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what loading left behind, then freeze the survivors: call after a bundle is
    loaded or swapped.

    Frozen objects are still freed by reference counting, but cyclic garbage among them
    would never be found: hence the unfreeze first, so that a replaced bundle's cycles are
    collected. That one full pass (the 100-220 ms above) is paid once per reload instead of
    at random during serving."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
