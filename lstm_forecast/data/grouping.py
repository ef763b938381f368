"""The rows of each series: a long-format file's grouped by id (first named first), and
checked to be in time order (pandas, numpy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError
from .read import RowNumbers


def group_rows(
    frame: pd.DataFrame, cfg: DataConfig, path: Path, rows: RowNumbers
) -> list[tuple[str | None, np.ndarray]]:
    """Row positions of each series, in order of first appearance. The ids are read as
    text without the spaces around them, once per distinct id (not per row: a file of
    millions of rows has thousands of ids)."""
    if cfg.id_column is None:
        return [(None, np.arange(len(frame)))]
    raw_codes, raw_ids = pd.factorize(frame[cfg.id_column])
    names = pd.Index(raw_ids).astype("string").str.strip()
    # A missing id (code -1) reads the last entry: True.
    empty = np.append((names == "").to_numpy(dtype=bool), True)[raw_codes]
    if empty.any():
        at = rows.first_of(pd.Series(empty))
        raise DataError(f"column {cfg.id_column!r}: empty id at {at}", where=path)
    # Ids equal once stripped are one series: their codes become the first one's.
    name_codes, uniques = pd.factorize(names)
    codes = raw_codes if len(uniques) == len(names) else name_codes[raw_codes]
    order = np.argsort(codes, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(uniques)))])
    return [(str(uniques[i]), order[bounds[i] : bounds[i + 1]]) for i in range(len(uniques))]


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
