"""What a data file holds before a config names its columns: which column is the time,
which one names the series of a long-format file, which are numbers (``init`` drafts a
config from it; pandas, no TensorFlow)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .hints import separator_hint
from .limits import Caps
from .read import read_table
from .timeparse import ParsedTimes, parse_time_text, propose_format

# Column names that say "time", as whole words (``month``, ``order_date``, ``ds``).
_TIME_WORDS = re.compile(
    r"(^|[^a-z])(date|time|timestamp|datetime|ds|day|week|month|quarter|year|period|hour)"
    r"($|[^a-z])",
    re.IGNORECASE,
)
# A column naming series takes fewer distinct values than this share of the rows.
_MAX_ID_SHARE = 0.5


@dataclass(frozen=True)
class FileCaps:
    """The size caps a file is surveyed under (``data.max_file_mb``, ``data.max_rows``)."""

    max_file_mb: int | None
    max_rows: int | None


@dataclass(frozen=True)
class FileSurvey:
    """The roles of a file's columns, as far as the values tell them."""

    path: Path
    n_rows: int
    time_column: str
    time_format: str | None  # the strftime format the time column needs (data.time_format)
    time_kind: str  # how its values read: "ISO 8601", "quarters", "decimal years"...
    other_times: tuple[str, ...]  # further columns that read as times, not chosen
    id_column: str | None  # the column naming the series of a long-format file
    numeric: tuple[str, ...]  # number columns besides the time and the id, in file order
    text: tuple[str, ...]  # columns of text that name no series (left out of the config)
    # Of each of those, its first value that is not a number (to show in a message).
    text_examples: tuple[str, ...]
    empty: tuple[str, ...]  # columns without a value


def survey_file(path: Path, caps: Caps) -> FileSurvey:
    """Read the file at ``path`` under ``caps`` and tell its columns' roles.

    Raises:
        DataError: no column reads as ISO 8601 times, or the times repeat and no column
            tells the series apart.
    """
    frame, _ = read_table(path, caps)
    empty = [c for c in frame.columns if _present(frame[c]).empty]
    columns = [str(c) for c in frame.columns if c not in empty]
    numeric = [c for c in columns if _is_numeric(frame[c])]
    times = [c for c in columns if c not in numeric and _is_time(frame[c])]
    times += [c for c in numeric if _numeric_time(c, frame[c])]
    formats = {} if times else _formats(frame, [c for c in columns if c not in numeric])
    times = times or list(formats)
    if not times:
        raise DataError(
            "no column reads as times (ISO 8601 such as 2012-01-31, 2012-01 or "
            "2012-01-31 13:00, quarters such as 1970Q1, or decimal years such as 1960.25); "
            f"the file has columns {', '.join(map(repr, columns))}"
            f"{separator_hint(columns) or '; write the time column in one of those forms'}",
            where=path,
        )
    time_column = min(times, key=lambda c: (not _TIME_WORDS.search(c), times.index(c)))
    time_format = formats.get(time_column)
    read = _times(frame[time_column], time_format)
    parsed = read.times
    rest = [c for c in columns if c != time_column and c not in times]
    id_column = _id_column(frame, parsed, rest, numeric) if parsed.duplicated().any() else None
    if parsed.duplicated().any() and id_column is None:
        raise DataError(
            f"column {time_column!r} repeats times and no column tells the series apart "
            "(long format needs a column naming each row's series, with each time once "
            "per series)",
            where=path,
        )
    texts = [c for c in rest if c not in numeric and c != id_column]
    return FileSurvey(
        path=path,
        n_rows=len(frame),
        time_column=time_column,
        time_format=time_format,
        time_kind=read.kind,
        other_times=tuple(c for c in times if c != time_column),
        id_column=id_column,
        numeric=tuple(c for c in numeric if c not in (time_column, id_column)),
        text=tuple(texts),
        text_examples=tuple(_not_a_number(frame[c]) for c in texts),
        empty=tuple(map(str, empty)),
    )


def _present(column: pd.Series) -> pd.Series:
    """The column's values, without the empty ones."""
    if pd.api.types.is_string_dtype(column) or column.dtype == object:
        text = column.astype("string").str.strip()
        return text[text.notna() & (text != "")]
    return column.dropna()


def _not_a_number(column: pd.Series) -> str:
    values = _present(column)
    return str(values[pd.to_numeric(values, errors="coerce").isna()].iloc[0])


def _is_numeric(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column) or column.dtype == bool:
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    return bool(pd.to_numeric(_present(column), errors="coerce").notna().all())


def _is_time(column: pd.Series) -> bool:
    """Every value reads as the loader reads times without a ``data.time_format``."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    values = _present(column)
    if len(values) < len(column):
        return False  # the loader refuses an empty time
    return bool(_times(values).times.notna().all())


def _numeric_time(name: str, column: pd.Series) -> bool:
    """A number column that holds times: named as one (``year``), or decimal years with
    a fraction (``1960.25``), which no quantity steps through so evenly."""
    if not _is_time(column):
        return False
    if _TIME_WORDS.search(name):
        return True
    values = pd.to_numeric(_present(column))
    fraction = bool((values != values.round()).any())
    return fraction and _times(_present(column)).kind == "decimal years"


def _formats(frame: pd.DataFrame, text_columns: list[str]) -> dict[str, str]:
    """The text columns that read as times under a format init can propose."""
    found = {}
    for name in text_columns:
        values = _present(frame[name])
        if len(values) == len(frame) and (fmt := propose_format(values)) is not None:
            found[name] = fmt
    return found


def _times(column: pd.Series, time_format: str | None = None) -> ParsedTimes:
    if pd.api.types.is_datetime64_any_dtype(column):
        return ParsedTimes(column, "timestamps", None)
    return parse_time_text(column.astype("string").str.strip(), time_format)


def _id_column(
    frame: pd.DataFrame, times: pd.Series, candidates: list[str], numeric: list[str]
) -> str | None:
    """The first column (text before numbers) under which every series has each time once."""
    ordered = [c for c in candidates if c not in numeric] + [c for c in candidates if c in numeric]
    for name in ordered:
        ids = frame[name].astype("string").str.strip()
        if ids.isna().any() or (ids == "").any():
            continue
        if ids.nunique() > _MAX_ID_SHARE * len(frame):
            continue
        if not pd.DataFrame({"id": ids, "time": times}).duplicated().any():
            return name
    return None
