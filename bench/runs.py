"""Repeated timings of one benchmark row, and how far apart they are, to say which
differences a run on a shared machine resolves."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed_calls(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall seconds of `runs` calls of `fn`."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def spread(values: list[float]) -> float:
    """(max - min) / median of one row's runs: differences between rows smaller than this
    are not resolved on a shared machine."""
    ordered = sorted(values)
    return (ordered[-1] - ordered[0]) / ordered[len(ordered) // 2]
