"""The numeric columns of a loaded frame as float64 arrays: checked (text that is not a
number, values beyond float32) and taken out of the frame once read, so a long file's rows
are not held twice (numpy and pandas; no TensorFlow)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError
from .hints import number_hint
from .read import RowNumbers

FLOAT32_MAX = float(np.finfo(np.float32).max)


def taken_numbers(
    frame: pd.DataFrame, cfg: DataConfig, path: Path, rows: RowNumbers
) -> tuple[np.ndarray, np.ndarray]:
    """The value columns and the static features as float64 arrays, each taken out of
    ``frame`` once read."""
    values = _numeric_columns(frame, cfg.value_columns, path, rows)
    static = np.column_stack(
        [_numeric(frame[c], path, c, rows) for c in cfg.static_features]
        or [np.empty((len(frame), 0))]
    )
    for column in {*cfg.value_columns, *cfg.static_features}:
        del frame[column]
    return values, static


def _numeric_columns(
    frame: pd.DataFrame, names: Sequence[str], path: Path, rows: RowNumbers
) -> np.ndarray:
    """``(rows, len(names))`` float64: each column read by ``_numeric`` into its place, so
    no column is held twice (a long file's rows are tens of millions)."""
    if len(names) == 1:
        column = _numeric(frame[names[0]], path, names[0], rows)
        # The frame's own array when it held float64 already: the series get a copy.
        owned = column.flags.owndata and column.flags.writeable
        return (column if owned else column.copy())[:, None]
    values = np.empty((len(frame), len(names)))
    for k, name in enumerate(names):
        values[:, k] = _numeric(frame[name], path, name, rows)
    return values


def _numeric(column: pd.Series, path: Path, name: str, rows: RowNumbers) -> np.ndarray:
    if column.dtype == bool or not pd.api.types.is_numeric_dtype(column):
        coerced = pd.to_numeric(column, errors="coerce")
        bad = coerced.isna() & column.notna()
        if bad.any() or column.dtype == bool:
            value = column[bad].iloc[0] if bad.any() else column.iloc[0]
            at = rows.first_of(bad if bad.any() else column.notna())
            raise DataError(
                f"column {name!r}: non-numeric value {value!r} at {at}{number_hint(value)}",
                where=path,
            )
        column = coerced
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    huge = (values > FLOAT32_MAX) | (values < -FLOAT32_MAX)  # no copy, as np.abs makes
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"column {name!r}: value {float(values[first])} at {rows.word} "
            f"{rows.number(first)} is "
            "infinite or too large for float32",
            where=path,
        )
    return values
