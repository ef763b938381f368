"""The rows of each series: a long-format file's grouped by id (first named first), and
checked to be in time order (pandas, numpy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError
from .read import RowNumbers
from .share import id_names


def group_rows(
    frame: pd.DataFrame, cfg: DataConfig, path: Path, rows: RowNumbers
) -> list[tuple[str | None, np.ndarray]]:
    """Row positions of each series, in order of first appearance. The ids are read as
    text without the spaces around them, once per distinct id (not per row: a file of
    millions of rows has thousands of ids)."""
    if cfg.id_column is None:
        return [(None, np.arange(len(frame)))]
    ids = frame[cfg.id_column]
    categorical = isinstance(ids.dtype, pd.CategoricalDtype)
    # A category column's own codes find the runs without an array per row.
    codes, words = (
        (ids.cat.codes.to_numpy(), ids.cat.categories) if categorical else pd.factorize(ids)
    )
    runs = _runs_if_grouped(codes, words)
    if runs is not None:
        return runs
    # The full grouping numbers ids in first-appearance order, which categories are not.
    raw_codes, raw_ids = pd.factorize(ids) if categorical else (codes, words)
    names = id_names(raw_ids)
    # A missing id (code -1) reads the last entry: True.
    empty = np.append(np.asarray(names == "", dtype=bool), True)[raw_codes]
    if empty.any():
        at = rows.first_of(pd.Series(empty))
        raise DataError(f"column {cfg.id_column!r}: empty id at {at}", where=path)
    # Ids equal once stripped are one series: their codes become the first one's.
    name_codes, uniques = pd.factorize(names)
    codes = raw_codes if len(uniques) == len(names) else name_codes[raw_codes]
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(uniques)))])
    return [(str(uniques[i]), order[bounds[i] : bounds[i + 1]]) for i in range(len(uniques))]


def _runs_if_grouped(
    codes: np.ndarray, words: pd.Index | np.ndarray
) -> list[tuple[str | None, np.ndarray]] | None:
    """``group_rows`` where each series' rows are one run (a long file written series
    after series, the usual layout), from each row's code into ``words`` (-1: missing),
    without a sort: each run's positions are a view of one array. None where a series'
    rows are not one run, or an id is missing or empty (the full grouping says which
    row)."""
    if not len(codes):
        return None
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    if (codes[starts] < 0).any():
        return None
    names = id_names(words[codes[starts]])
    if (names == "").any() or names.has_duplicates:
        return None
    positions = np.arange(len(codes), dtype=np.int32 if len(codes) < 2**31 - 2 else np.int64)
    ends = np.r_[starts[1:], len(codes)]
    return [(str(n), positions[a:b]) for n, a, b in zip(names, starts, ends, strict=True)]


def check_order(
    times: pd.DatetimeIndex, lines: np.ndarray, where: str, path: Path, rows: RowNumbers
) -> None:
    steps = np.diff(times.asi8)
    if (steps > 0).all():
        return
    i = int(np.flatnonzero(steps <= 0)[0])
    hint = _LONG_FORMAT_HINT if not where else ""  # no series prefix: no data.id_column
    if steps[i] == 0:
        raise DataError(
            f"{where}duplicate timestamp {rows.time(times[i])} at {rows.word}s {lines[i]} and "
            f"{lines[i + 1]}{hint}",
            where=path,
        )
    raise DataError(
        f"{where}rows are not in time order: {rows.word} {lines[i + 1]} "
        f"({rows.time(times[i + 1])}) comes after {rows.word} {lines[i]} "
        f"({rows.time(times[i])}); sort the file by time{hint}",
        where=path,
    )


# Both errors are what a long-format file read as one series gives first.
_LONG_FORMAT_HINT = (
    "; if the file holds several series one after another (long format), set "
    "data.id_column to the column that names them"
)
