"""How far apart the repeated runs of one benchmark row are, to say which differences a run
on a shared machine resolves."""

from __future__ import annotations


def spread(values: list[float]) -> float:
    """(max - min) / median of one row's runs: differences between rows smaller than this
    are not resolved on a shared machine."""
    ordered = sorted(values)
    return (ordered[-1] - ordered[0]) / ordered[len(ordered) // 2]
