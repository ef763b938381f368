"""Turn a data file into validated series: parse times and numbers, group long format
by id, check the order, put each series on its frequency's grid (pandas, numpy; no
TensorFlow).

Everything a user can get wrong in a data file is caught here or in ``read``, once, with
the file, column, line (CSV) or row (Parquet) and value in the message. Downstream code
trusts the guarantees written on ``Series``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError, counted, say_once
from .future import check_future, split_future
from .grid import build_series, constant_per_series, series_prefix
from .grouping import check_order, group_rows
from .numbers import taken_numbers
from .parquet import read_tails, release_arrow_memory
from .read import PARQUET_ROWS, RowNumbers, columns_read, is_parquet, needed_columns, read_frame
from .series import Dataset, Series
from .share import Share, ShareRead
from .timeindex import common_freq, future_index
from .timeparse import read_time_column

_log = logging.getLogger(__name__)


def load_dataset(
    cfg: DataConfig,
    path: Path | None = None,
    *,
    future_rows: int = 0,
    share: Share | None = None,
) -> Dataset:
    """Read and validate the data file at ``path`` (default ``cfg.path``) as ``cfg``
    describes it: Parquet if its name ends in ``.parquet``, CSV otherwise.

    With ``future_rows`` (predict, for a model with ``data.future_features``), each
    series' history is followed by that many rows with its targets empty and its
    future-known columns filled: they become the series' ``future``.

    With ``share`` (one worker of several) and ``data.id_column``, only the share's
    series (``Share``); of a single series, the whole file.

    Raises:
        DataError: also for a share that holds none of the file's series.
    """
    path = Path(path if path is not None else cfg.path)
    reading = None if share is None else ShareRead(share)
    frame, sha256, rows = read_frame(path, cfg, reading)
    if reading is not None and cfg.id_column is not None:
        _log.info(reading.describe())
        if frame.empty:
            raise DataError(empty_share(reading), where=path)
    dataset = dataset_of(frame, sha256, rows, cfg, path, future_rows)
    del frame  # its columns go back to pyarrow's pool, and from there to the system
    release_arrow_memory()
    return dataset


def empty_share(reading: ShareRead) -> str:
    share = reading.share
    if not reading.rows_read:
        return "the file has columns but no data rows"
    return (
        f"worker {share.index} of {share.count} has no series to train on: a hash of the "
        f"series id gives none of the file's {len(reading.ids):,} to it; run fewer workers "
        "(a worker's share is about 1/workers of the series)"
    )


def load_tails(cfg: DataConfig, path: Path, rows: int, *, future_rows: int = 0) -> Dataset | None:
    """``load_dataset`` of only each series' last ``rows`` rows (and ``future_rows`` more)
    of a Parquet file, read a batch of rows at a time: memory holds the tails, not the
    file. Only those rows are checked. None where the file must be read whole (not
    Parquet, times as text: ``read_tails``)."""
    if not is_parquet(path):
        return None
    keep = rows + future_rows
    tails = read_tails(
        path,
        cfg,
        lambda names: needed_columns(cfg, names, path),
        cfg.id_column,
        cfg.time_column,
        keep,
    )
    if tails is None:
        return None
    numbers = dataclasses.replace(PARQUET_ROWS, lines=tails.rows + PARQUET_ROWS.first)
    frame = tails.frame[columns_read(cfg)]
    # No fingerprint: it would read every byte of the file the tails spare reading.
    return dataset_of(frame, None, numbers, cfg, path, future_rows)


def load_frame(
    cfg: DataConfig, frame: pd.DataFrame, *, future_rows: int = 0, name: str = "the frame"
) -> Dataset:
    """``load_dataset`` for a pandas frame already in memory, with the columns a file would
    have (times as text or timestamps, numbers as numbers or text); messages number its
    rows from 1 and call it ``name``.

    Raises:
        DataError: a column ``cfg`` names is missing, or the values break a rule of the
            loader's (the message names the column, row and value).
    """
    needed = columns_read(cfg)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"no column {', '.join(map(repr, missing))}; the frame has "
            f"{', '.join(map(repr, map(str, frame.columns)))}",
            where=name,
        )
    picked = frame[needed].reset_index(drop=True)
    for column in {c for c in (cfg.id_column, cfg.time_column) if c is not None}:
        if not pd.api.types.is_datetime64_any_dtype(picked[column]):
            picked[column] = picked[column].astype("string")
    hashed = pd.util.hash_pandas_object(picked, index=False).to_numpy().tobytes()
    sha256 = hashlib.sha256(hashed).hexdigest()
    return dataset_of(picked, sha256, PARQUET_ROWS, cfg, Path(name), future_rows)


def dataset_of(
    frame: pd.DataFrame,
    sha256: str | None,
    rows: RowNumbers,
    cfg: DataConfig,
    path: Path,
    future_rows: int,
    *,
    warn_tails: bool = True,
) -> Dataset:
    """The validated series of ``frame`` (the columns ``cfg`` names, read), which it
    consumes: each column leaves it once read (its rows are not held twice). Without
    ``warn_tails``, no warning of series' last rows left out (a chunked load warns after)."""
    times, time_format = read_time_column(frame[cfg.time_column], path, cfg, rows)
    rows = dataclasses.replace(rows, time_format=time_format)
    values, static = taken_numbers(frame, cfg, path, rows)
    lines = rows.numbers_at  # by position, not an array of every row's
    groups = group_rows(frame, cfg, path, rows)
    if cfg.id_column is not None:
        del frame[cfg.id_column]
    for sid, positions in groups:
        check_order(times[_at(positions)], lines(positions), series_prefix(sid), path, rows)
    groups, futures = _peel_future(groups, times, values, cfg, future_rows, path, rows)
    freq = common_freq((times[_at(positions)] for _, positions in groups), cfg.freq, path)
    grids: dict[tuple[pd.Timestamp, pd.Timestamp], pd.DatetimeIndex] = {}
    series = tuple(
        build_series(
            sid,
            times[_at(positions)],
            values[_at(positions)],
            lines(positions),
            freq,
            cfg,
            path,
            grids,
            rows,
        )
        for sid, positions in groups
    )
    if cfg.static_features:
        series = _with_static(series, groups, static, cfg, path, rows)
    if warn_tails:
        warn_left_out_tails(series, freq, path, rows)
    if future_rows:
        series = _with_future(series, futures, times, values, freq, cfg, path, rows)
    return Dataset(
        path=path,
        sha256=sha256,
        columns=cfg.value_columns,
        n_targets=len(cfg.targets),
        freq=freq,
        time_format=time_format,
        series=series,
    )


def _with_static(
    series: tuple[Series, ...],
    groups: list[tuple[str | None, np.ndarray]],
    static: np.ndarray,
    cfg: DataConfig,
    path: Path,
    rows: RowNumbers,
) -> tuple[Series, ...]:
    """Each series with its static features' values (``groups``: its rows' positions)."""
    return tuple(
        dataclasses.replace(
            s,
            static=constant_per_series(
                static[positions], rows.numbers_at(positions), sid, cfg, path, rows
            ),
        )
        for s, (sid, positions) in zip(series, groups, strict=True)
    )


def _at(positions: np.ndarray) -> slice | np.ndarray:
    """``positions`` as a slice where they are consecutive (a long file written series
    after series): a view of the rows, where indexing by the array copies them."""
    if len(positions) and positions[-1] - positions[0] == len(positions) - 1:
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


def warn_left_out_tails(
    series: tuple[Series, ...], freq: str, path: Path, rows: RowNumbers
) -> None:
    """One warning for the series whose last rows miss a value: they are left out, so a
    forecast starts at the first of them, not after the file's last row."""
    cut = [s for s in series if s.left_out_tail]
    if not cut:
        return
    first = cut[0]
    start = future_index(first.index[-1], freq, 1)[0]
    some = f"{len(cut)} series end" if len(cut) > 1 else "the series ends"
    named = f" (series {first.id!r}: " if first.id is not None else " ("
    say_once(
        _log,
        logging.WARNING,
        f"{path.name}: {some} in rows that miss a value, left out{named}"
        f"{counted(first.left_out_tail, 'row')} from {rows.word} {first.left_out_line}, "
        f"{rows.time(start)}): forecasts start at the first of them, not after the "
        "file's last row; fill those values, or remove the rows to say so",
    )


def _with_future(
    series: tuple[Series, ...],
    futures: list[np.ndarray],
    times: pd.DatetimeIndex,
    values: np.ndarray,
    freq: str,
    cfg: DataConfig,
    path: Path,
    rows: RowNumbers,
) -> tuple[Series, ...]:
    """Each series with its future rows (the rows at ``futures``' positions), checked."""
    known = [cfg.value_columns.index(c) for c in cfg.future_features]
    return tuple(
        dataclasses.replace(
            s,
            future=check_future(
                s.id,
                s.index[-1],
                times[ahead],
                values[ahead],
                rows.numbers_at(ahead),
                freq,
                cfg.value_columns,
                known,
                path,
                rows,
            ),
        )
        for s, ahead in zip(series, futures, strict=True)
    )


def _peel_future(
    groups: list[tuple[str | None, np.ndarray]],
    times: pd.DatetimeIndex,
    values: np.ndarray,
    cfg: DataConfig,
    horizon: int,
    path: Path,
    rows: RowNumbers,
) -> tuple[list[tuple[str | None, np.ndarray]], list[np.ndarray]]:
    """Each series' history rows, and its ``horizon`` future rows after them (none
    without a horizon: every row is history)."""
    if not horizon:
        return groups, [positions[:0] for _, positions in groups]
    history, future = [], []
    for sid, positions in groups:
        n_history = split_future(
            sid,
            times[positions],
            values[positions],
            len(cfg.targets),
            cfg.future_features,
            horizon,
            path,
            rows,
        )
        history.append((sid, positions[:n_history]))
        future.append(positions[n_history : n_history + horizon])
    return history, future
