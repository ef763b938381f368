"""Read a CSV or Parquet file into a frame of the columns a config names, after the size
and row caps, with the file, line (CSV) or row (Parquet) in every message."""

from __future__ import annotations

import collections
import csv
import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError, EnvironmentFailure
from .hints import not_utf8, separator_hint
from .limits import Caps, check_is_file, check_size, check_width, too_many_rows
from .parquet import dataset_sha256, is_dataset, read_parquet, read_parquet_by_batch
from .share import ShareRead
from .timeindex import show_time


@dataclass(frozen=True)
class KeptRuns:
    """The numbers of rows read as runs of consecutive rows of a file (one worker's share:
    its series' rows), without a number per row: where each run starts among the rows
    read (ascending) and the number of its first row."""

    starts: np.ndarray
    numbers: np.ndarray

    @classmethod
    def of(cls, held: np.ndarray, first: int) -> KeptRuns:
        """The runs of the rows where ``held`` is True, the first row numbered ``first``."""
        edges = np.flatnonzero(np.diff(np.concatenate([[False], held, [False]]).astype(np.int8)))
        begins, ends = edges[::2], edges[1::2]
        starts = np.concatenate([[0], np.cumsum(ends - begins)[:-1]]) if len(begins) else begins
        return cls(starts.astype(np.int64), (begins + first).astype(np.int64))

    def __getitem__(self, positions: Any) -> Any:
        run = np.searchsorted(self.starts, positions, side="right") - 1
        return self.numbers[run] + (positions - self.starts[run])


@dataclass(frozen=True)
class RowNumbers:
    """How messages number the rows of a file, CSV lines (the header is line 1) or
    Parquet rows (from 1), and write its times: as the file does, once its format is
    known (``1905`` stays ``1905``, not ``1905-01-01``). ``lines``: each row's number
    where the rows read are not every row of the file (each series' last rows)."""

    word: str
    first: int  # the number of the first data row
    time_format: str | None = None  # strftime format of the file's time column
    lines: np.ndarray | KeptRuns | None = field(default=None, compare=False)

    def time(self, stamp: pd.Timestamp) -> str:
        return show_time(stamp, self.time_format)

    def numbers_at(self, positions: np.ndarray) -> np.ndarray:
        """The numbers of the rows at ``positions`` among those read."""
        return positions + self.first if self.lines is None else self.lines[positions]

    def number(self, position: int) -> int:
        """The number of the row at ``position`` among those read."""
        return position + self.first if self.lines is None else int(self.lines[position])

    def first_of(self, mask: pd.Series) -> str:
        """``"line 7"``: the first row where ``mask`` holds."""
        return f"{self.word} {self.number(int(np.flatnonzero(mask.to_numpy())[0]))}"


CSV_LINES = RowNumbers("line", 2)


PARQUET_ROWS = RowNumbers("row", 1)


def read_frame(
    path: Path, cfg: DataConfig, share: ShareRead | None = None
) -> tuple[pd.DataFrame, str, RowNumbers]:
    """The columns ``cfg`` names, as text (time and id) or parsed (the rest), the file's
    SHA-256, and how messages number its rows: Parquet if the name ends in ``.parquet``,
    CSV otherwise. With ``share`` (and ``data.id_column``), only the rows of its series:
    a Parquet file's read a batch at a time, a CSV's parsed whole and then taken."""
    id_column = cfg.id_column
    if id_column is None:
        share = None  # one series: every worker reads it
    if is_parquet(path):

        def pick(names: list[str]) -> list[str]:
            return needed_columns(cfg, names, path)

        if id_column is None or (share is None and not is_dataset(path)):
            # The ids as categories: one string per series, not per row.
            ids = [id_column] if id_column is not None else []
            frame, numbers = read_parquet(path, cfg, pick, ids), PARQUET_ROWS
        elif share is None:  # a dataset's files: each batch's ids over one dictionary
            frame, _ = read_parquet_by_batch(path, cfg, pick, id_column)
            numbers = PARQUET_ROWS
        else:
            frame, held = read_parquet_by_batch(path, cfg, pick, id_column, share)
            numbers = dataclasses.replace(PARQUET_ROWS, lines=KeptRuns.of(held, PARQUET_ROWS.first))
        if frame.empty and share is None:
            raise DataError("the file has columns but no data rows", where=path)
        return frame, dataset_sha256(path), numbers
    frame, sha256 = _read_csv(path, cfg)
    if share is None or id_column is None:
        return frame, sha256, CSV_LINES
    codes, words = pd.factorize(frame[id_column])
    held = share.rows_held(codes, share.words_held(words))
    frame = frame[held].reset_index(drop=True)
    return frame, sha256, dataclasses.replace(CSV_LINES, lines=KeptRuns.of(held, CSV_LINES.first))


def read_table(path: Path, caps: Caps) -> tuple[pd.DataFrame, RowNumbers]:
    """Every column of the file, before any config names them, under ``caps``: a CSV's as
    text, with the spaces around its header names taken off; a Parquet file's as stored."""
    if is_parquet(path):
        frame = read_parquet(path, caps, None)
        rows = PARQUET_ROWS
    else:
        header = _read_header(path)
        _scan(path, caps)
        frame = _parse_csv(path, dict.fromkeys(header, str), None)
        rows = CSV_LINES
    frame = frame.rename(columns={name: str(name).strip() for name in frame.columns})
    frame = _drop_trailing_blank_rows(frame)
    if frame.empty:
        raise DataError("the file has a header but no data rows", where=path)
    return frame, rows


def is_parquet(path: Path) -> bool:
    """A Parquet file (by its name) or a dataset of them (a folder, a glob)."""
    return path.suffix.lower() == ".parquet" or is_dataset(path)


def columns_read(cfg: DataConfig) -> list[str]:
    """The columns ``cfg`` reads from a data file: the series id first, then the time, the
    values and the static features (the schema keeps them distinct)."""
    ids = [] if cfg.id_column is None else [cfg.id_column]
    return [*ids, cfg.time_column, *cfg.value_columns, *cfg.static_features]


def needed_columns(cfg: DataConfig, header: Sequence[str], path: Path) -> list[str]:
    """The columns ``cfg`` reads, after checking the file has each of them once."""
    needed = columns_read(cfg)
    missing = [c for c in needed if c not in header]
    if missing:
        kind = "column" if len(missing) == 1 else "columns"
        raise DataError(
            f"{kind} {', '.join(map(repr, missing))} not found; the file has "
            f"columns {', '.join(map(repr, header))}{separator_hint(header, missing)}",
            where=path,
        )
    repeated = sorted(name for name, n in collections.Counter(header).items() if n > 1)
    if repeated:
        raise DataError(f"column {repeated[0]!r} appears more than once in the header", where=path)
    return needed


def _read_csv(path: Path, cfg: DataConfig) -> tuple[pd.DataFrame, str]:
    written = _read_header(path)
    # Names are matched without the spaces around them (``month, sales``), which a
    # spreadsheet or a hand-written header often has.
    raw = {name.strip(): name for name in written}
    facts = _scan(path, cfg)
    needed = needed_columns(cfg, [name.strip() for name in written], path)
    text_columns = {raw[c]: str for c in (cfg.time_column, cfg.id_column) if c is not None}
    fast = facts.size >= PYARROW_FROM_BYTES and not facts.blank_lines
    numeric = [raw[c] for c in cfg.value_columns] if fast else None
    frame = _parse_csv(path, text_columns, numeric)
    frame = frame.rename(columns={name: str(name).strip() for name in frame.columns})
    frame = _drop_trailing_blank_rows(frame[needed])
    if frame.empty:
        raise DataError("the file has a header but no data rows", where=path)
    return frame, facts.sha256


@dataclass(frozen=True)
class _FileFacts:
    size: int
    blank_lines: bool  # an empty line anywhere
    sha256: str


def _scan(path: Path, cfg: Caps) -> _FileFacts:
    """Refuse a file over ``data.max_file_mb`` or ``data.max_rows`` before parsing it;
    note whether it has blank lines (which only the C parser keeps as rows) and its
    SHA-256, in the same pass over the bytes."""
    size = check_size(path, cfg)
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
                raise DataError(too_many_rows(cfg.max_rows), where=path)
    return _FileFacts(size=size, blank_lines=blank_lines, sha256=digest.hexdigest())


# Below this size pandas' C parser is as quick, and predict need not import pyarrow.
PYARROW_FROM_BYTES = 8 << 20


_NA_VALUES = ["", "NA", "NaN", "nan", "N/A", "NULL", "null"]


def _parse_csv(
    path: Path, text_columns: Mapping[str, type], fast_numeric: Sequence[str] | None
) -> pd.DataFrame:
    """The CSV as a frame. With ``fast_numeric`` (the value columns), pyarrow's parser reads
    it first (quicker on millions of rows), those columns as float64.
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
        raise DataError(not_utf8(path), where=path) from None


def _read_header(path: Path) -> list[str]:
    check_is_file(path, "a CSV file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), None)
    except PermissionError:
        raise EnvironmentFailure("permission denied reading the data file", where=path) from None
    except UnicodeDecodeError:
        raise DataError(not_utf8(path), where=path) from None
    except OSError as exc:
        raise EnvironmentFailure(f"cannot read the data file: {exc.strerror}", where=path) from None
    if not header or not any(h.strip() for h in header):
        raise DataError("the file is empty (no header row)", where=path)
    check_width(len(header), path)
    return header


def _drop_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    filled = frame.notna().any(axis=1).to_numpy()
    last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
    return frame.iloc[:last]
