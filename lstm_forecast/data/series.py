"""The series container downstream code trusts: what ``load_dataset`` guarantees about
every series it returns (numpy and pandas; no TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Series:
    """One time series.

    Guaranteed: ``index`` strictly increasing and regular at the dataset's frequency (every
    step present; gaps in the file are rows here). ``values`` is float64 of shape
    ``(len(index), n_columns)``, finite, except that ``missing: drop`` leaves NaN in the
    rows it drops (no window ever touches them). The first and last rows are complete.
    """

    id: str | None
    index: pd.DatetimeIndex
    values: np.ndarray
    # The series' value of each ``data.static_features`` column (constant within it).
    static: np.ndarray = field(default_factory=lambda: np.empty(0))
    # Predict's rows after the history for a model with future-known inputs: one per step
    # of the horizon, every column, NaN but in the future-known ones (None: no future rows).
    future: np.ndarray | None = None
    # Rows at the start and at the end of the series in the file left out for a missing
    # value (under a data.missing that fills or drops), and the line (row) of the first
    # left out at the end.
    left_out_head: int = 0
    left_out_tail: int = 0
    left_out_line: int = 0
    # The file's line (CSV) or row (Parquet) of the series' first row, when its rows are
    # consecutive in the file, so a message can name the line of any row (0: they are not).
    first_line: int = 0

    def line_of(self, row: int) -> int | None:
        """The file's line (or row) of ``row``, when the series' rows are consecutive."""
        return self.first_line + row if self.first_line else None

    def __len__(self) -> int:
        return len(self.index)

    @property
    def complete(self) -> np.ndarray:
        """Bool per row: every column present."""
        return np.isfinite(self.values).all(axis=1)


@dataclass(frozen=True)
class Dataset:
    """Every series of one data file, sharing columns and frequency."""

    path: Path
    sha256: str | None  # of the file's bytes; None where not every row was read
    columns: tuple[str, ...]  # targets first, then features
    n_targets: int
    freq: str  # pandas offset alias
    time_format: str | None  # strftime format of the input's time column, if one matched
    series: tuple[Series, ...]

    @property
    def targets(self) -> tuple[str, ...]:
        return self.columns[: self.n_targets]
