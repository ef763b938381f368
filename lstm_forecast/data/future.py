"""Future rows of a file given to predict: after each series' history, one row per step of
the horizon with the targets empty and the future-known columns (``data.future_features``)
filled (pandas, numpy)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from .grid import series_prefix
from .read import RowNumbers
from .timeindex import future_index

_log = logging.getLogger(__name__)


def split_future(
    sid: str | None,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    n_targets: int,
    known_ahead: Sequence[str],
    horizon: int,
    path: Path,
    rows: RowNumbers,
) -> int:
    """How many of a series' rows (in time order) are history: those up to the last with
    a target value. The ``horizon`` rows after them are its future rows (later ones are
    not used, with a warning); fewer is an error naming the series, the future-known
    columns and the time the history ends."""
    name = f"series '{sid}'" if sid is not None else "the series"
    known = np.isfinite(values[:, :n_targets]).any(axis=1)
    if not known.any():
        raise DataError(f"{name}: every target value is empty", where=path)
    history = int(np.flatnonzero(known)[-1]) + 1
    found = len(times) - history
    end = rows.time(times[history - 1])
    if found < horizon:
        raise DataError(
            f"{name} ends at {end} with {found} future rows after it; the model forecasts "
            f"{horizon} steps and needs the future-known columns ({', '.join(known_ahead)}) "
            f"at each: add {horizon} rows after {end} with the target empty and those "
            "columns filled (data.future_features)",
            where=path,
        )
    if found > horizon:
        _log.warning(
            f"{path}: {name} has {found} future rows after {end}; the first {horizon} "
            f"(the horizon) are used, the {found - horizon} after "
            f"{rows.time(times[history + horizon - 1])} are not"
        )
    return history


def check_future(
    sid: str | None,
    last: pd.Timestamp,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    lines: np.ndarray,
    freq: str,
    columns: Sequence[str],
    future_columns: Sequence[int],
    path: Path,
    rows: RowNumbers,
) -> np.ndarray:
    """A series' future rows, checked: their times continue the history's last (``last``)
    step by step, and every future-known column holds a number. Returns ``values`` with
    every other column empty (NaN): only the future-known ones are known ahead."""
    where = series_prefix(sid)
    expected = future_index(last, freq, len(times))
    off = np.flatnonzero(expected.asi8 != times.asi8)
    if len(off):
        k = int(off[0])
        raise DataError(
            f"{where}future row at {rows.word} {lines[k]} has time {rows.time(times[k])}; "
            f"step {k + 1} after the last target value ({rows.time(last)}) is "
            f"{rows.time(expected[k])} (frequency {freq}): the future rows must follow the "
            "history one step each",
            where=path,
        )
    for column in future_columns:
        empty = ~np.isfinite(values[:, column])
        if empty.any():
            k = int(np.flatnonzero(empty)[0])
            raise DataError(
                f"{where}future-known column {columns[column]!r} is empty at "
                f"{rows.time(times[k])} ({rows.word} {lines[k]}); predict needs its value "
                "at every step of the horizon",
                where=path,
            )
    known = np.full(values.shape, np.nan)
    known[:, list(future_columns)] = values[:, list(future_columns)]
    return known
