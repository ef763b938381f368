"""Supervised windows by start offset (numpy; no TensorFlow).

A window starting at row ``s`` takes inputs from rows ``[s, s + lookback)`` (every column)
and targets from rows ``[s + lookback, s + lookback + horizon)`` (the target columns).
Windows are described by their starts, so a series is never copied ``lookback`` times
until a batch is gathered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .row_files import row_array


def window_starts(
    length: int,
    lookback: int,
    horizon: int,
    *,
    targets_from: int,
    targets_to: int,
    stride: int = 1,
    complete: np.ndarray | None = None,
) -> np.ndarray:
    """Starts of the windows whose targets all lie in rows ``[targets_from, targets_to)``.

    Inputs may reach back before ``targets_from`` (earlier parts of the series) but never
    before row 0; targets never reach ``targets_to`` (a later part). Starts step by
    ``stride`` back from the most recent window, so the newest data is always used.
    ``complete`` (bool per row) drops windows touching an incomplete row.

    Returns:
        int64 array of starts, increasing.
    """
    targets_to = min(targets_to, length)
    first = max(0, targets_from - lookback)
    last = targets_to - lookback - horizon
    if last < first:
        return np.empty(0, dtype=np.int64)
    starts = np.arange(last, first - 1, -stride, dtype=np.int64)[::-1]
    if complete is not None and not complete.all():
        gaps = np.concatenate([[0], np.cumsum(~complete)])
        span = lookback + horizon
        starts = starts[gaps[starts + span] == gaps[starts]]
    return np.ascontiguousarray(starts)


def gather_windows(
    values: np.ndarray,
    starts: np.ndarray,
    lookback: int,
    horizon: int,
    n_targets: int,
    input_rows: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Materialise the windows at ``starts`` of ``values`` ``(time, n_columns)``.

    ``input_rows`` (default ``lookback``): rows of each input window, ``lookback +
    horizon`` when columns are known ahead (the coding keeps only those of the horizon).

    Returns:
        inputs ``(n, input_rows, n_columns)`` and targets ``(n, horizon, n_targets)``.
    """
    inputs = values[starts[:, None] + np.arange(input_rows or lookback)]
    targets = values[starts[:, None] + lookback + np.arange(horizon), :n_targets]
    return inputs, targets


def stack_series(
    arrays: Iterable[np.ndarray], lengths: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Series of ``lengths`` rows, one after another in one array; returns the stack and
    each series' first row in it. ``arrays`` may be made one at a time (a generator):
    each is copied in as it comes, so the stack is the only one held in full.

    Starts computed per series plus its offset address the stack, and no window crosses
    two series because each series' starts keep its windows inside it.
    """
    counts = np.asarray(lengths, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    stacked: np.ndarray | None = None
    for offset, count, array in zip(offsets, counts, arrays, strict=True):
        if len(array) != count:
            raise ValueError(f"a series of {len(array)} rows where {count} were said")
        if stacked is None:
            stacked = row_array((int(counts.sum()), *array.shape[1:]), array.dtype)
        stacked[offset : offset + count] = array
    if stacked is None:
        raise ValueError("no series to stack")
    return stacked, offsets


@dataclass(frozen=True)
class WindowSet:
    """Windows over stacked series: ``values`` ``(rows, n_columns)`` float32, scaled, and
    the ``starts`` of the windows in it (each inside one series)."""

    values: np.ndarray
    starts: np.ndarray
    lookback: int
    horizon: int
    n_targets: int
    input_rows: int | None = None  # see ``gather_windows``

    def __len__(self) -> int:
        return len(self.starts)

    def gather(self) -> tuple[np.ndarray, np.ndarray]:
        """Every window as arrays (for evaluation and small data)."""
        return self.gather_at(self.starts)

    def spread(self, most: int) -> WindowSet:
        """At most ``most`` of these windows, evenly spaced over them (all if fewer)."""
        if len(self) <= most:
            return self
        chosen = np.unique(np.linspace(0, len(self) - 1, most).round().astype(np.int64))
        return dataclasses.replace(self, starts=self.starts[chosen])

    def gather_at(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The windows at ``starts`` (a batch) as arrays."""
        return gather_windows(
            self.values, starts, self.lookback, self.horizon, self.n_targets, self.input_rows
        )
