"""Each series on the regular grid of its frequency: gaps become rows, ``data.missing``
fills or marks them, and static features are checked to hold one value per series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from ..config import DataConfig
from ..errors import DataError
from .read import RowNumbers
from .series import Series
from .timeindex import MAX_GRID_GROWTH


def build_series(
    sid: str | None,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    lines: np.ndarray,
    freq: str,
    cfg: DataConfig,
    path: Path,
    grids: dict[tuple[pd.Timestamp, pd.Timestamp], pd.DatetimeIndex],
    rows: RowNumbers,
) -> Series:
    """``grids``: the time grids made so far, by first and last timestamp; series of a
    long-format file usually share theirs, and making one costs more than the rest."""
    where = series_prefix(sid)
    span = (times[0], times[-1])
    if span not in grids:
        grids[span] = pd.date_range(*span, freq=to_offset(freq))
    grid = grids[span]
    no_gaps = len(grid) == len(times) and bool((grid.asi8 == times.asi8).all())  # usually
    position = np.arange(len(times)) if no_gaps else grid.get_indexer(times)
    if (position < 0).any():
        bad = int(np.flatnonzero(position < 0)[0])
        raise DataError(
            f"{where}timestamp {rows.time(times[bad])} at {rows.word} {lines[bad]} is not on the "
            f"grid of frequency {freq}; {_freq_hint(times, freq)}",
            where=path,
            key="data.freq",
        )
    if len(grid) > MAX_GRID_GROWTH * len(times):
        raise DataError(
            f"{where}frequency {freq} would leave {len(grid) - len(times)} of "
            f"{len(grid)} steps missing; check data.freq",
            where=path,
            key="data.freq",
        )
    if no_gaps:  # the rows as read (a view of the file's, where its rows are consecutive)
        full = values
    else:
        full = np.full((len(grid), values.shape[1]), np.nan)
        full[position] = values
    row_lines = np.zeros(len(grid), dtype=np.int64)  # 0: a step absent from the file
    row_lines[position] = lines
    full, keep = _apply_missing_policy(full, row_lines, grid, cfg, where, path, rows)
    tail = len(grid) - (keep.stop if keep.stop is not None else len(grid))
    kept = row_lines[keep]
    consecutive = len(kept) and kept[0] > 0 and bool((np.diff(kept) == 1).all())
    return Series(
        id=sid,
        index=grid[keep],
        values=full[keep],
        left_out_head=keep.start or 0,
        left_out_tail=tail,
        left_out_line=int(row_lines[len(grid) - tail]) if tail else 0,
        first_line=int(kept[0]) if consecutive else 0,
    )


def constant_per_series(
    static: np.ndarray,
    lines: np.ndarray,
    sid: str | None,
    cfg: DataConfig,
    path: Path,
    rows: RowNumbers,
) -> np.ndarray:
    """The one value per static column of a series' rows (each must hold the same one)."""
    where = series_prefix(sid)
    for column, name in enumerate(cfg.static_features):
        values = static[:, column]
        missing = ~np.isfinite(values)
        if missing.any():
            line = lines[int(np.flatnonzero(missing)[0])]
            raise DataError(
                f"{where}static feature {name!r} is missing at {rows.word} {line}", where=path
            )
        differs = values != values[0]
        if differs.any():
            line = lines[int(np.flatnonzero(differs)[0])]
            raise DataError(
                f"{where}static feature {name!r} changes within the series: "
                f"{values[0]:g}, then {values[differs][0]:g} at {rows.word} {line}; a static "
                "feature holds one value per series (use data.features for values that change)",
                where=path,
            )
    return static[0].copy()


def _freq_hint(times: pd.DatetimeIndex, freq: str) -> str:
    """What to set: the frequency the first timestamps follow, when pandas can tell
    (month starts read with ``ME``, say)."""
    found = pd.infer_freq(times[:_INFER_FROM]) if len(times) >= 3 else None
    if found is None or found == freq:
        return "set data.freq to match the data"
    return (
        f"the timestamps look like frequency {found}: set data.freq: {found}, or leave it "
        "out to infer it"
    )


# Timestamps enough for pandas to name a frequency, few enough to cost nothing.
_INFER_FROM = 50


def series_prefix(sid: str | None) -> str:
    return f"series '{sid}': " if sid is not None else ""


def _apply_missing_policy(
    values: np.ndarray,
    lines: np.ndarray,
    grid: pd.DatetimeIndex,
    cfg: DataConfig,
    where: str,
    path: Path,
    rows: RowNumbers,
) -> tuple[np.ndarray, slice]:
    """Fill or mark missing values; returns the values and the rows to keep (a trim)."""
    missing = ~np.isfinite(values)
    if not missing.any():
        return values, slice(None)
    if cfg.missing == "error":
        raise DataError(
            _missing_message(missing, lines, grid, cfg, where, rows), where=path, key="data.missing"
        )
    frame = pd.DataFrame(values)
    if cfg.missing == "ffill":
        frame = frame.ffill()
    elif cfg.missing == "interpolate":
        frame = frame.interpolate(method="linear", limit_area="inside")
    filled = frame.to_numpy()
    complete = np.flatnonzero(np.isfinite(filled).all(axis=1))
    if len(complete) == 0:
        raise DataError(f"{where}no row has every column present", where=path)
    return filled, slice(int(complete[0]), int(complete[-1]) + 1)


def _missing_message(
    missing: np.ndarray,
    lines: np.ndarray,
    grid: pd.DatetimeIndex,
    cfg: DataConfig,
    where: str,
    rows: RowNumbers,
) -> str:
    fix = "set data.missing to drop, ffill or interpolate"
    absent = lines == 0
    if absent.any():
        first = int(np.flatnonzero(absent)[0])
        return (
            f"{where}{int(absent.sum())} timestamps are missing from the file (first "
            f"{rows.time(grid[first])}); {fix}"
        )
    column = int(np.flatnonzero(missing.any(axis=0))[0])
    missing_rows = np.flatnonzero(missing[:, column])
    return (
        f"{where}column {cfg.value_columns[column]!r} has {len(missing_rows)} missing values "
        f"(first at {rows.word} {lines[missing_rows[0]]}); {fix}"
    )
