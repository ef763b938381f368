"""Read a CSV into validated series and split them by time (pandas and numpy; no TensorFlow).

Everything a user can get wrong in a CSV is caught here, once, with the file, column, line
and value in the message. Downstream code trusts the guarantees written on ``Series``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .config import DataConfig, SplitConfig, WindowConfig
from .errors import DataError, EnvironmentFailure

FLOAT32_MAX = float(np.finfo(np.float32).max)
# Output formats tried, in order, to write forecast timestamps the way the input wrote them.
_TIME_FORMATS = (
    "%Y-%m",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y",
)
# A grid this many times longer than the rows observed means the spacing was misread.
_MAX_GRID_GROWTH = 10


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

    def __len__(self) -> int:
        return len(self.index)

    @property
    def complete(self) -> np.ndarray:
        """Bool per row: every column present."""
        return np.isfinite(self.values).all(axis=1)


@dataclass(frozen=True)
class Dataset:
    """Every series of one CSV, sharing columns and frequency."""

    path: Path
    sha256: str
    columns: tuple[str, ...]  # targets first, then features
    n_targets: int
    freq: str  # pandas offset alias
    time_format: str | None  # strftime format of the input's time column, if one matched
    series: tuple[Series, ...]

    @property
    def targets(self) -> tuple[str, ...]:
        return self.columns[: self.n_targets]


@dataclass(frozen=True)
class SplitBounds:
    """Row positions in one series: train ``[0, train_end)``, validation
    ``[train_end, validation_end)``, test ``[validation_end, length)``."""

    train_end: int
    validation_end: int
    length: int

    @property
    def validation_size(self) -> int:
        return self.validation_end - self.train_end

    @property
    def test_size(self) -> int:
        return self.length - self.validation_end


def load_dataset(cfg: DataConfig, path: Path | None = None) -> Dataset:
    """Read and validate the CSV at ``path`` (default ``cfg.path``) as ``cfg`` describes it."""
    path = Path(path if path is not None else cfg.path)
    frame = _read_csv(path, cfg)
    times = _parse_times(frame[cfg.time_column], path, cfg.time_column)
    values = np.column_stack([_numeric(frame[c], path, c) for c in cfg.value_columns])
    lines = np.arange(len(frame)) + 2  # line 1 is the header
    groups = _group_rows(frame, cfg, path)
    for sid, rows in groups:
        _check_order(times[rows], lines[rows], _series_prefix(sid), path)
    freq = _common_freq([times[rows] for _, rows in groups], cfg.freq, path)
    series = tuple(
        _build_series(sid, times[rows], values[rows], lines[rows], freq, cfg, path)
        for sid, rows in groups
    )
    return Dataset(
        path=path,
        sha256=file_sha256(path),
        columns=cfg.value_columns,
        n_targets=len(cfg.targets),
        freq=freq,
        time_format=_time_format(frame[cfg.time_column], times),
        series=series,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def split_bounds(length: int, split: SplitConfig) -> SplitBounds:
    """Where the parts of a series of ``length`` rows end (the test part comes last)."""
    test = _part_size(split.test, length)
    validation = _part_size(split.validation, length)
    train_end = max(length - test - validation, 0)
    return SplitBounds(train_end=train_end, validation_end=max(length - test, 0), length=length)


def check_split(
    series: Series, bounds: SplitBounds, window: WindowConfig, split: SplitConfig, where: Path
) -> None:
    """Refuse a series too short for one training window and whole validation/test horizons."""
    if _split_fits(bounds, window):
        return
    needed = _rows_needed(len(series), window, split)
    name = f"series '{series.id}'" if series.id is not None else "the series"
    raise DataError(
        f"{name} has {len(series)} rows but needs at least {needed}: lookback "
        f"{window.lookback} + horizon {window.horizon} for training, then validation "
        f"{_describe_part(split.validation)} and test {_describe_part(split.test)}, each "
        f"at least one horizon long; shorten window.lookback or the split",
        where=where,
    )


def future_index(last: pd.Timestamp, freq: str, steps: int) -> pd.DatetimeIndex:
    """The ``steps`` timestamps after ``last`` on the grid of ``freq``."""
    return pd.date_range(last, periods=steps + 1, freq=to_offset(freq))[1:]


def format_times(index: pd.DatetimeIndex, time_format: str | None) -> list[str]:
    if time_format is not None:
        return list(index.strftime(time_format))
    return [t.isoformat() for t in index]


def _split_fits(bounds: SplitBounds, window: WindowConfig) -> bool:
    def holds_horizons(size: int) -> bool:
        return size == 0 or size >= window.horizon

    return (
        bounds.train_end >= window.lookback + window.horizon
        and holds_horizons(bounds.validation_size)
        and holds_horizons(bounds.test_size)
    )


def _rows_needed(length: int, window: WindowConfig, split: SplitConfig) -> int:
    for candidate in range(window.lookback + window.horizon, 100 * (length + 1) + 10_000):
        if _split_fits(split_bounds(candidate, split), window):
            return candidate
    raise DataError("the split leaves no room for a training window")  # pragma: no cover


def _describe_part(part: float | int) -> str:
    return f"{part:.0%}" if isinstance(part, float) else f"{part} steps"


def _part_size(part: float | int, length: int) -> int:
    return round(part * length) if isinstance(part, float) else part


def _read_csv(path: Path, cfg: DataConfig) -> pd.DataFrame:
    header = _read_header(path)
    needed = [cfg.time_column, *cfg.value_columns]
    if cfg.id_column is not None:
        needed.insert(0, cfg.id_column)
    missing = [c for c in needed if c not in header]
    if missing:
        kind = "column" if len(missing) == 1 else "columns"
        raise DataError(
            f"{kind} {', '.join(map(repr, missing))} not found; the file has "
            f"columns {', '.join(map(repr, header))}",
            where=path,
        )
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(f"column {repeated[0]!r} appears more than once in the header", where=path)
    text_columns = {c: str for c in (cfg.time_column, cfg.id_column) if c is not None}
    try:
        # All columns are read (not usecols): pandas only reports rows with too many
        # fields when it parses every column.
        frame = pd.read_csv(
            path,
            dtype=text_columns,
            encoding="utf-8-sig",
            skip_blank_lines=False,
            keep_default_na=False,
            na_values=["", "NA", "NaN", "nan", "N/A", "NULL", "null"],
        )
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed CSV: {str(exc).strip()}", where=path) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", where=path) from None
    frame = _drop_trailing_blank_rows(frame[needed])
    if frame.empty:
        raise DataError("the file has a header but no data rows", where=path)
    return frame


def _read_header(path: Path) -> list[str]:
    if not path.exists():
        raise DataError("data file not found", where=path)
    if path.is_dir():
        raise DataError("is a directory, not a CSV file", where=path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except PermissionError:
        raise EnvironmentFailure("permission denied reading the data file", where=path) from None
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", where=path) from None
    except OSError as exc:
        raise EnvironmentFailure(f"cannot read the data file: {exc.strerror}", where=path) from None
    if not header or not any(h.strip() for h in header):
        raise DataError("the file is empty (no header row)", where=path)
    return [h.strip() for h in header]


def _drop_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    filled = frame.notna().any(axis=1).to_numpy()
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return frame.iloc[:last]


def _parse_times(column: pd.Series, path: Path, name: str) -> pd.DatetimeIndex:
    text = column.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if empty.any():
        raise DataError(f"column {name!r}: empty time value at line {_line(empty)}", where=path)
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:
        # Mixed UTC offsets: normalise to UTC rather than keep text or guess a local zone.
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna()
    if bad.any():
        value = text[bad].iloc[0]
        raise DataError(
            f"column {name!r}: cannot parse time value {value!r} at line "
            f"{_line(bad)} (expected ISO 8601, e.g. 2012-01-31 or "
            "2012-01-31T13:00:00)",
            where=path,
        )
    return pd.DatetimeIndex(parsed)


def _numeric(column: pd.Series, path: Path, name: str) -> np.ndarray:
    if column.dtype == bool or not pd.api.types.is_numeric_dtype(column):
        coerced = pd.to_numeric(column, errors="coerce")
        bad = coerced.isna() & column.notna()
        if bad.any() or column.dtype == bool:
            value = column[bad].iloc[0] if bad.any() else column.iloc[0]
            line = _line(bad) if bad.any() else 2
            raise DataError(
                f"column {name!r}: non-numeric value {value!r} at line {line}", where=path
            )
        column = coerced
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    huge = np.abs(values) > FLOAT32_MAX
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"column {name!r}: value {float(values[first])} at line {first + 2} is "
            "infinite or too large for float32",
            where=path,
        )
    return values


def _line(mask: pd.Series) -> int:
    return int(np.flatnonzero(mask.to_numpy())[0]) + 2


def _group_rows(
    frame: pd.DataFrame, cfg: DataConfig, path: Path
) -> list[tuple[str | None, np.ndarray]]:
    """Row positions of each series, in order of first appearance."""
    if cfg.id_column is None:
        return [(None, np.arange(len(frame)))]
    ids = frame[cfg.id_column].astype("string").str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        raise DataError(f"column {cfg.id_column!r}: empty id at line {_line(empty)}", where=path)
    codes, uniques = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(str(uniques[i]), order[bounds[i] : bounds[i + 1]]) for i in range(len(uniques))]


def _common_freq(indexes: Sequence[pd.DatetimeIndex], given: str | None, path: Path) -> str:
    if given is not None:
        return to_offset(given).freqstr
    found = {f for f in map(_infer_freq, indexes) if f is not None}
    if len(found) > 1:
        raise DataError(
            f"series have different frequencies ({', '.join(sorted(found))}); set data.freq",
            where=path,
        )
    if not found:
        raise DataError(
            "cannot infer the frequency of the time column (irregular spacing "
            "or too few rows); set data.freq (e.g. D, h, MS)",
            where=path,
        )
    return found.pop()


def _infer_freq(index: pd.DatetimeIndex) -> str | None:
    if len(index) < 2 or not index.is_monotonic_increasing or index.has_duplicates:
        return None  # reported with line numbers when the series is built
    if len(index) >= 3:
        inferred = pd.DatetimeIndex(index, freq="infer").freq
        if inferred is not None:
            return str(inferred.freqstr)
    # Gaps defeat pandas' inference: guess from the smallest step, keep the guess that
    # puts every timestamp on its grid.
    step = pd.Timedelta(np.diff(index.asi8).min(), unit=index.unit)
    for candidate in _candidate_freqs(step, index[0]):
        grid = pd.date_range(index[0], index[-1], freq=candidate)
        if len(grid) <= _MAX_GRID_GROWTH * len(index) and index.isin(grid).all():
            return to_offset(candidate).freqstr
    return None


def _candidate_freqs(step: pd.Timedelta, first: pd.Timestamp) -> list[str]:
    days = step / pd.Timedelta(days=1)
    month = first.strftime("%b").upper()
    if 28 <= days <= 31:
        return ["MS", "ME"]
    if 89 <= days <= 92:
        return [f"QS-{month}", f"QE-{month}"]
    if 365 <= days <= 366:
        return [f"YS-{month}", f"YE-{month}"]
    if days == 7:
        return [f"W-{first.strftime('%a').upper()}"]
    return [to_offset(step).freqstr]


def _build_series(
    sid: str | None,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    lines: np.ndarray,
    freq: str,
    cfg: DataConfig,
    path: Path,
) -> Series:
    where = _series_prefix(sid)
    grid = pd.date_range(times[0], times[-1], freq=to_offset(freq))
    position = grid.get_indexer(times)
    if (position < 0).any():
        bad = int(np.flatnonzero(position < 0)[0])
        raise DataError(
            f"{where}timestamp {_show(times[bad])} at line {lines[bad]} is not on the "
            f"grid of frequency {freq}; set data.freq to match the data",
            where=path,
        )
    if len(grid) > _MAX_GRID_GROWTH * len(times):
        raise DataError(
            f"{where}frequency {freq} would leave {len(grid) - len(times)} of "
            f"{len(grid)} steps missing; check data.freq",
            where=path,
        )
    full = np.full((len(grid), values.shape[1]), np.nan)
    full[position] = values
    row_lines = np.zeros(len(grid), dtype=np.int64)  # 0: a step absent from the file
    row_lines[position] = lines
    full, keep = _apply_missing_policy(full, row_lines, grid, cfg, where, path)
    return Series(id=sid, index=grid[keep], values=full[keep])


def _series_prefix(sid: str | None) -> str:
    return f"series '{sid}': " if sid is not None else ""


def _show(stamp: pd.Timestamp) -> str:
    """A timestamp as users write it: the date alone at midnight."""
    return str(stamp.date()) if stamp == stamp.normalize() and stamp.tz is None else str(stamp)


def _check_order(times: pd.DatetimeIndex, lines: np.ndarray, where: str, path: Path) -> None:
    steps = np.diff(times.asi8)
    if (steps > 0).all():
        return
    i = int(np.flatnonzero(steps <= 0)[0])
    if steps[i] == 0:
        raise DataError(
            f"{where}duplicate timestamp {_show(times[i])} at lines {lines[i]} and {lines[i + 1]}",
            where=path,
        )
    raise DataError(
        f"{where}rows are not in time order: line {lines[i + 1]} ({_show(times[i + 1])}) "
        f"comes after line {lines[i]} ({_show(times[i])}); sort the file by time",
        where=path,
    )


def _apply_missing_policy(
    values: np.ndarray,
    lines: np.ndarray,
    grid: pd.DatetimeIndex,
    cfg: DataConfig,
    where: str,
    path: Path,
) -> tuple[np.ndarray, slice]:
    """Fill or mark missing values; returns the values and the rows to keep (a trim)."""
    missing = ~np.isfinite(values)
    if not missing.any():
        return values, slice(None)
    if cfg.missing == "error":
        raise DataError(_missing_message(missing, lines, grid, cfg, where), where=path)
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
    missing: np.ndarray, lines: np.ndarray, grid: pd.DatetimeIndex, cfg: DataConfig, where: str
) -> str:
    fix = "set data.missing to drop, ffill or interpolate"
    absent = lines == 0
    if absent.any():
        first = int(np.flatnonzero(absent)[0])
        return (
            f"{where}{int(absent.sum())} timestamps are missing from the file (first "
            f"{_show(grid[first])}); {fix}"
        )
    column = int(np.flatnonzero(missing.any(axis=0))[0])
    rows = np.flatnonzero(missing[:, column])
    return (
        f"{where}column {cfg.value_columns[column]!r} has {len(rows)} missing values "
        f"(first at line {lines[rows[0]]}); {fix}"
    )


def _time_format(column: pd.Series, times: pd.DatetimeIndex) -> str | None:
    sample = column.astype("string").str.strip().iloc[:50].tolist()
    for fmt in _TIME_FORMATS:
        if list(times[: len(sample)].strftime(fmt)) == sample:
            return fmt
    return None
