"""Runs of adjacent row or column numbers, for views that repaint per rectangle."""

from __future__ import annotations

from collections.abc import Iterable


def adjacent_runs(indices: Iterable[int]) -> list[tuple[int, int]]:
    """Ascending indices as (first, last) runs of adjacent ones: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
