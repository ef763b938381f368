"""Read a CSV or Parquet file into validated series (pandas and numpy; no TensorFlow).

Everything a user can get wrong in a data file is caught here, once, with the file, column,
line (CSV) or row (Parquet) and value in the message. Downstream code trusts the guarantees
written on ``Series``.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .atomic import file_sha256
from .config import DataConfig
from .errors import DataError, EnvironmentFailure
from .timeindex import MAX_GRID_GROWTH, common_freq, detect_time_format, show_time

FLOAT32_MAX = float(np.finfo(np.float32).max)


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
class _Rows:
    """How messages number the rows of a file: CSV lines (the header is line 1) or
    Parquet rows (from 1)."""

    word: str
    first: int  # the number of the first data row

    def numbers(self, n_rows: int) -> np.ndarray:
        return np.arange(n_rows) + self.first

    def first_of(self, mask: pd.Series) -> str:
        """``"line 7"``: the first row where ``mask`` holds."""
        return f"{self.word} {int(np.flatnonzero(mask.to_numpy())[0]) + self.first}"


_CSV_LINES = _Rows("line", 2)
_PARQUET_ROWS = _Rows("row", 1)


def load_dataset(cfg: DataConfig, path: Path | None = None) -> Dataset:
    """Read and validate the data file at ``path`` (default ``cfg.path``) as ``cfg``
    describes it: Parquet if its name ends in ``.parquet``, CSV otherwise."""
    path = Path(path if path is not None else cfg.path)
    if is_parquet(path):
        frame, sha256 = _read_parquet(path, cfg)
        rows = _PARQUET_ROWS
    else:
        frame, sha256 = _read_csv(path, cfg)
        rows = _CSV_LINES
    times = _parse_times(frame[cfg.time_column], path, cfg.time_column, rows)
    values = np.column_stack([_numeric(frame[c], path, c, rows) for c in cfg.value_columns])
    static = np.column_stack(
        [_numeric(frame[c], path, c, rows) for c in cfg.static_features]
        or [np.empty((len(frame), 0))]
    )
    lines = rows.numbers(len(frame))
    groups = _group_rows(frame, cfg, path, rows)
    for sid, positions in groups:
        _check_order(times[positions], lines[positions], _series_prefix(sid), path, rows)
    freq = common_freq([times[positions] for _, positions in groups], cfg.freq, path)
    grids: dict[tuple[pd.Timestamp, pd.Timestamp], pd.DatetimeIndex] = {}
    series = tuple(
        _build_series(
            sid,
            times[positions],
            values[positions],
            lines[positions],
            freq,
            cfg,
            path,
            grids,
            rows,
        )
        for sid, positions in groups
    )
    if cfg.static_features:
        series = tuple(
            dataclasses.replace(
                s, static=_constant(static[positions], lines[positions], sid, cfg, path, rows)
            )
            for s, (sid, positions) in zip(series, groups, strict=True)
        )
    return Dataset(
        path=path,
        sha256=sha256,
        columns=cfg.value_columns,
        n_targets=len(cfg.targets),
        freq=freq,
        time_format=detect_time_format(frame[cfg.time_column], times),
        series=series,
    )


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() == ".parquet"


def _needed_columns(cfg: DataConfig, header: Sequence[str], path: Path) -> list[str]:
    """The columns ``cfg`` reads, after checking the file has each of them once."""
    needed = [cfg.time_column, *cfg.value_columns, *cfg.static_features]
    if cfg.id_column is not None:
        needed.insert(0, cfg.id_column)
    missing = [c for c in needed if c not in header]
    if missing:
        kind = "column" if len(missing) == 1 else "columns"
        raise DataError(
            f"{kind} {', '.join(map(repr, missing))} not found; the file has "
            f"columns {', '.join(map(repr, header))}{_separator_hint(header, missing)}",
            where=path,
        )
    repeated = sorted({c for c in header if list(header).count(c) > 1})
    if repeated:
        raise DataError(f"column {repeated[0]!r} appears more than once in the header", where=path)
    return needed


def _separator_hint(header: Sequence[str], missing: Sequence[str]) -> str:
    """A hint when the header reads as one column that another separator would split
    into the missing ones (a spreadsheet's export with ';' or tabs, say)."""
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        names = {part.strip() for cell in header for part in cell.split(separator)}
        if any(separator in cell for cell in header) and names.issuperset(missing):
            return (
                f" (the header seems separated by {name}: lstm-forecast reads "
                "comma-separated files; export the file as CSV with commas)"
            )
    return ""


def _read_csv(path: Path, cfg: DataConfig) -> tuple[pd.DataFrame, str]:
    header = _read_header(path)
    facts = _scan(path, cfg)
    needed = _needed_columns(cfg, header, path)
    text_columns = {c: str for c in (cfg.time_column, cfg.id_column) if c is not None}
    fast = facts.size >= PYARROW_FROM_BYTES and not facts.blank_lines
    frame = _parse_csv(path, text_columns, cfg.value_columns if fast else None)
    frame = _drop_trailing_blank_rows(frame[needed])
    if frame.empty:
        raise DataError("the file has a header but no data rows", where=path)
    return frame, facts.sha256


def _read_parquet(path: Path, cfg: DataConfig) -> tuple[pd.DataFrame, str]:
    """The needed columns of a Parquet file, after the same caps as a CSV's (the row
    count comes from the file's footer, before any data is read)."""
    import pyarrow
    import pyarrow.parquet

    _check_is_file(path, "a Parquet file")
    _check_size(path, cfg)
    try:
        parquet = pyarrow.parquet.ParquetFile(path)
        needed = _needed_columns(cfg, parquet.schema_arrow.names, path)
        n_rows = parquet.metadata.num_rows
        if cfg.max_rows is not None and n_rows > cfg.max_rows:
            raise DataError(_too_many_rows(cfg.max_rows), where=path)
        frame = parquet.read(columns=needed).to_pandas()
    except PermissionError:
        raise EnvironmentFailure("permission denied reading the data file", where=path) from None
    except (pyarrow.ArrowException, ValueError, OSError) as exc:
        raise DataError(f"not a readable Parquet file ({exc})", where=path) from None
    if frame.empty:
        raise DataError("the file has columns but no data rows", where=path)
    return frame, file_sha256(path)


@dataclass(frozen=True)
class _FileFacts:
    size: int
    blank_lines: bool  # an empty line anywhere
    sha256: str


def _scan(path: Path, cfg: DataConfig) -> _FileFacts:
    """Refuse a file over ``data.max_file_mb`` or ``data.max_rows`` before parsing it;
    note whether it has blank lines (which only the C parser keeps as rows) and its
    SHA-256, in the same pass over the bytes."""
    size = _check_size(path, cfg)
    lines = 0
    blank_lines = False
    previous = b""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            joined = previous + chunk  # a blank line may straddle two chunks
            blank_lines = blank_lines or b"\n\n" in joined or b"\n\r\n" in joined
            previous = chunk[-2:]
            if cfg.max_rows is not None and lines > cfg.max_rows + 1:  # + the header
                raise DataError(_too_many_rows(cfg.max_rows), where=path)
    return _FileFacts(size=size, blank_lines=blank_lines, sha256=digest.hexdigest())


def _check_size(path: Path, cfg: DataConfig) -> int:
    """The file's size in bytes, after refusing one over ``data.max_file_mb``."""
    size = path.stat().st_size
    if cfg.max_file_mb is not None and size > cfg.max_file_mb << 20:
        raise DataError(
            f"the file is {size / (1 << 20):.0f} MB, over data.max_file_mb "
            f"({cfg.max_file_mb}); raise the cap if the file is right",
            where=path,
        )
    return size


def _too_many_rows(max_rows: int) -> str:
    return (
        f"the file has more than {max_rows} rows (data.max_rows); raise the cap if the "
        "file is right"
    )


# Below this size pandas' C parser is as quick, and predict need not import pyarrow.
PYARROW_FROM_BYTES = 8 << 20
_NA_VALUES = ["", "NA", "NaN", "nan", "N/A", "NULL", "null"]


def _parse_csv(
    path: Path, text_columns: Mapping[str, type], fast_numeric: Sequence[str] | None
) -> pd.DataFrame:
    """The CSV as a frame. With ``fast_numeric`` (the value columns), pyarrow's parser reads
    it first (about three times quicker on millions of rows), those columns as float64.
    Else, or on any complaint of pyarrow's, the C parser reads it: it parses the same
    files the same way and says what is wrong and on which line. Every column is read
    (not ``usecols``): the C parser only reports rows with too many fields when it parses
    every column."""
    options: dict[str, Any] = {
        "dtype": text_columns,
        "encoding": "utf-8-sig",
        "keep_default_na": False,
        "na_values": _NA_VALUES,
    }
    if fast_numeric is not None:
        numeric = dict.fromkeys(fast_numeric, "float64")
        try:
            return pd.read_csv(
                path, engine="pyarrow", **{**options, "dtype": {**text_columns, **numeric}}
            )
        except ValueError:  # pyarrow's parse errors and UnicodeDecodeError are ValueErrors
            pass  # the C parser below says what is wrong, with the line
    try:
        return pd.read_csv(path, skip_blank_lines=False, **options)
    except pd.errors.ParserError as exc:
        raise DataError(f"malformed CSV: {str(exc).strip()}", where=path) from None
    except UnicodeDecodeError:
        raise DataError(_not_utf8(path), where=path) from None


def _not_utf8(path: Path) -> str:
    """Where a file stops being UTF-8 (line and byte), for the user who must re-save it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, where = 1, ""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the chunk after the bytes of an unfinished character held
                # over from the last one: never a newline, so the count holds.
                line += exc.object.count(b"\n", 0, exc.start)
                where = f": byte 0x{exc.object[exc.start]:02x} at line {line}"
                break
            line += chunk.count(b"\n")
    return f"not UTF-8 text{where}; save the file as UTF-8 (a spreadsheet's 'CSV UTF-8')"


def _check_is_file(path: Path, kind: str) -> None:
    if not path.exists():
        raise DataError("data file not found", where=path)
    if path.is_dir():
        raise DataError(f"is a directory, not {kind}", where=path)


def _read_header(path: Path) -> list[str]:
    _check_is_file(path, "a CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except PermissionError:
        raise EnvironmentFailure("permission denied reading the data file", where=path) from None
    except UnicodeDecodeError:
        raise DataError(_not_utf8(path), where=path) from None
    except OSError as exc:
        raise EnvironmentFailure(f"cannot read the data file: {exc.strerror}", where=path) from None
    if not header or not any(h.strip() for h in header):
        raise DataError("the file is empty (no header row)", where=path)
    return [h.strip() for h in header]


def _drop_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    filled = frame.notna().any(axis=1).to_numpy()
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return frame.iloc[:last]


def _parse_times(column: pd.Series, path: Path, name: str, rows: _Rows) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(column):  # a Parquet timestamp column
        if column.isna().any():
            raise DataError(
                f"column {name!r}: empty time value at {rows.first_of(column.isna())}",
                where=path,
            )
        return pd.DatetimeIndex(column)
    text = column.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if empty.any():
        raise DataError(f"column {name!r}: empty time value at {rows.first_of(empty)}", where=path)
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:
        # Mixed UTC offsets: normalise to UTC rather than keep text or guess a local zone.
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna()
    if bad.any():
        value = text[bad].iloc[0]
        raise DataError(
            f"column {name!r}: cannot parse time value {value!r} at "
            f"{rows.first_of(bad)} (expected ISO 8601, e.g. 2012-01-31 or "
            "2012-01-31T13:00:00)",
            where=path,
        )
    return pd.DatetimeIndex(parsed)


def _numeric(column: pd.Series, path: Path, name: str, rows: _Rows) -> np.ndarray:
    if column.dtype == bool or not pd.api.types.is_numeric_dtype(column):
        coerced = pd.to_numeric(column, errors="coerce")
        bad = coerced.isna() & column.notna()
        if bad.any() or column.dtype == bool:
            value = column[bad].iloc[0] if bad.any() else column.iloc[0]
            at = rows.first_of(bad if bad.any() else column.notna())
            raise DataError(f"column {name!r}: non-numeric value {value!r} at {at}", where=path)
        column = coerced
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    huge = np.abs(values) > FLOAT32_MAX
    if huge.any():
        first = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"column {name!r}: value {float(values[first])} at {rows.word} "
            f"{first + rows.first} is "
            "infinite or too large for float32",
            where=path,
        )
    return values


def _group_rows(
    frame: pd.DataFrame, cfg: DataConfig, path: Path, rows: _Rows
) -> list[tuple[str | None, np.ndarray]]:
    """Row positions of each series, in order of first appearance."""
    if cfg.id_column is None:
        return [(None, np.arange(len(frame)))]
    ids = frame[cfg.id_column].astype("string").str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        raise DataError(f"column {cfg.id_column!r}: empty id at {rows.first_of(empty)}", where=path)
    codes, uniques = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(str(uniques[i]), order[bounds[i] : bounds[i + 1]]) for i in range(len(uniques))]


def _build_series(
    sid: str | None,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    lines: np.ndarray,
    freq: str,
    cfg: DataConfig,
    path: Path,
    grids: dict[tuple[pd.Timestamp, pd.Timestamp], pd.DatetimeIndex],
    rows: _Rows,
) -> Series:
    """``grids``: the time grids made so far, by first and last timestamp; series of a
    long-format file usually share theirs, and making one costs more than the rest."""
    where = _series_prefix(sid)
    span = (times[0], times[-1])
    if span not in grids:
        grids[span] = pd.date_range(*span, freq=to_offset(freq))
    grid = grids[span]
    if len(grid) == len(times) and (grid.asi8 == times.asi8).all():
        position = np.arange(len(times))  # the usual case: no gaps
    else:
        position = grid.get_indexer(times)
    if (position < 0).any():
        bad = int(np.flatnonzero(position < 0)[0])
        raise DataError(
            f"{where}timestamp {show_time(times[bad])} at {rows.word} {lines[bad]} is not on the "
            f"grid of frequency {freq}; set data.freq to match the data",
            where=path,
        )
    if len(grid) > MAX_GRID_GROWTH * len(times):
        raise DataError(
            f"{where}frequency {freq} would leave {len(grid) - len(times)} of "
            f"{len(grid)} steps missing; check data.freq",
            where=path,
        )
    full = np.full((len(grid), values.shape[1]), np.nan)
    full[position] = values
    row_lines = np.zeros(len(grid), dtype=np.int64)  # 0: a step absent from the file
    row_lines[position] = lines
    full, keep = _apply_missing_policy(full, row_lines, grid, cfg, where, path, rows)
    return Series(id=sid, index=grid[keep], values=full[keep])


def _constant(
    static: np.ndarray,
    lines: np.ndarray,
    sid: str | None,
    cfg: DataConfig,
    path: Path,
    rows: _Rows,
) -> np.ndarray:
    """The one value per static column of a series' rows (each must hold the same one)."""
    where = _series_prefix(sid)
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


def _series_prefix(sid: str | None) -> str:
    return f"series '{sid}': " if sid is not None else ""


def _check_order(
    times: pd.DatetimeIndex, lines: np.ndarray, where: str, path: Path, rows: _Rows
) -> None:
    steps = np.diff(times.asi8)
    if (steps > 0).all():
        return
    i = int(np.flatnonzero(steps <= 0)[0])
    if steps[i] == 0:
        raise DataError(
            f"{where}duplicate timestamp {show_time(times[i])} at {rows.word}s {lines[i]} and "
            f"{lines[i + 1]}",
            where=path,
        )
    raise DataError(
        f"{where}rows are not in time order: {rows.word} {lines[i + 1]} "
        f"({show_time(times[i + 1])}) comes after {rows.word} {lines[i]} "
        f"({show_time(times[i])}); sort the file by time",
        where=path,
    )


def _apply_missing_policy(
    values: np.ndarray,
    lines: np.ndarray,
    grid: pd.DatetimeIndex,
    cfg: DataConfig,
    where: str,
    path: Path,
    rows: _Rows,
) -> tuple[np.ndarray, slice]:
    """Fill or mark missing values; returns the values and the rows to keep (a trim)."""
    missing = ~np.isfinite(values)
    if not missing.any():
        return values, slice(None)
    if cfg.missing == "error":
        raise DataError(_missing_message(missing, lines, grid, cfg, where, rows), where=path)
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
    rows: _Rows,
) -> str:
    fix = "set data.missing to drop, ffill or interpolate"
    absent = lines == 0
    if absent.any():
        first = int(np.flatnonzero(absent)[0])
        return (
            f"{where}{int(absent.sum())} timestamps are missing from the file (first "
            f"{show_time(grid[first])}); {fix}"
        )
    column = int(np.flatnonzero(missing.any(axis=0))[0])
    missing_rows = np.flatnonzero(missing[:, column])
    return (
        f"{where}column {cfg.value_columns[column]!r} has {len(missing_rows)} missing values "
        f"(first at {rows.word} {lines[missing_rows[0]]}); {fix}"
    )
