"""A time column's text read as timestamps, one way for every command (pandas; no
TensorFlow): ISO 8601, the user's strftime format (``data.time_format``), quarters
(``1970Q1``, ``1970-Q1``, ``1970 Q1``) and decimal years (``1960.25``, as R writes a
monthly or quarterly series); and the common formats ``init`` can propose."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import DataConfig
from ..errors import DataError, say_once
from .read import RowNumbers
from .timeindex import detect_time_format, strftime_times

_log = logging.getLogger(__name__)

QUARTER = re.compile(r"^(\d{4})(\s*-?\s*)[Qq]([1-4])$")
# Formats init proposes for a column that does not read as ISO 8601, in the order tried
# (month first before day first: where both read every value, the one giving a regular
# step wins, and month first if both do).
PROPOSED_FORMATS = (
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%b %Y",
    "%B %Y",
    "%d %b %Y",
)
# Periods a year a decimal-year column may step by, and the display format of each.
_PER_YEAR = {1: "%Y", 4: "%YQ%q", 12: "%Y-%m"}
_YEARS = (1000.0, 3000.0)  # a decimal year outside these is not a year


@dataclass(frozen=True)
class ParsedTimes:
    """A column's times (NaT where a value does not read), how they were read and the
    format to write them back in (None: as the loader's ISO forms allow)."""

    times: pd.Series
    kind: str  # "ISO 8601", "data.time_format", "quarters" or "decimal years"
    display: str | None


def parse_time_text(text: pd.Series, time_format: str | None = None) -> ParsedTimes:
    """``text`` (stripped, no empty value) read as times: with ``time_format`` when given,
    else as ISO 8601, quarters or decimal years, whichever reads every value (ISO 8601's
    result, with its NaT, when none does)."""
    if time_format is not None:
        parsed = pd.to_datetime(text, format=time_format, errors="coerce")
        return ParsedTimes(parsed, "data.time_format", time_format)
    try:
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce")
    except ValueError:  # mixed UTC offsets: normalised to UTC rather than guess a zone
        iso = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    if not iso.isna().any():
        return ParsedTimes(iso, "ISO 8601", None)
    return _quarters(text) or _decimal_years(text) or ParsedTimes(iso, "ISO 8601", None)


def propose_format(text: pd.Series) -> str | None:
    """The first of ``PROPOSED_FORMATS`` that reads every value of ``text``, preferring
    one whose times step regularly (``1/2/2020`` is January 2 or February 1)."""
    reading = [
        fmt
        for fmt in PROPOSED_FORMATS
        if not pd.to_datetime(text, format=fmt, errors="coerce").isna().any()
    ]
    regular = [fmt for fmt in reading if _regular(pd.to_datetime(text, format=fmt))]
    chosen = regular or reading
    return chosen[0] if chosen else None


def _regular(times: pd.Series) -> bool:
    unique = pd.DatetimeIndex(times.drop_duplicates()).sort_values()
    return len(unique) < 3 or pd.infer_freq(unique) is not None


def _quarters(text: pd.Series) -> ParsedTimes | None:
    found = text.str.extract(QUARTER)
    if found.isna().any().any():
        return None
    years, quarters = found[0].astype(int), found[2].astype(int)
    months = (quarters - 1) * 3 + 1
    times = pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))
    return ParsedTimes(
        pd.Series(times.to_numpy(), index=text.index), "quarters", f"%Y{found[1].iloc[0]}Q%q"
    )


def _decimal_years(text: pd.Series) -> ParsedTimes | None:
    """Decimal years on a yearly, quarterly or monthly grid (R's ``time()`` of a ``ts``):
    ``1960.25`` is April 1960 in a monthly series, the second quarter in a quarterly one."""
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(values).any() or not ((values > _YEARS[0]) & (values < _YEARS[1])).all():
        return None
    for per_year in _PER_YEAR:
        steps = values * per_year
        if np.abs(steps - np.round(steps)).max() < 1e-3:
            break
    else:
        return None
    periods = np.round(steps).astype(np.int64)  # periods since year 0
    years, within = np.divmod(periods, per_year)
    months = within * (12 // per_year) + 1
    times = pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))
    shown = _PER_YEAR[per_year]
    return ParsedTimes(pd.Series(times.to_numpy(), index=text.index), "decimal years", shown)


def decimal_years_words(parsed: ParsedTimes, text: pd.Series) -> str:
    """One line saying how a decimal-year column was read, with its first value."""
    step = {"%Y": "yearly", "%YQ%q": "quarterly", "%Y-%m": "monthly"}[parsed.display or "%Y"]
    first = strftime_times(pd.DatetimeIndex(parsed.times.iloc[:1]), parsed.display or "%Y")[0]
    return f"decimal years read as {step} dates ({text.iloc[0]} is {first})"


def read_time_column(
    column: pd.Series, path: Path, cfg: DataConfig, rows: RowNumbers
) -> tuple[pd.DatetimeIndex, str | None]:
    """The time column's timestamps and the format to write them back in (None: the
    ISO form the values were written in, ``detect_time_format``).

    Raises:
        DataError: a time is empty or does not read (the message names the fix).
    """
    name = cfg.time_column
    if pd.api.types.is_datetime64_any_dtype(column):  # a Parquet timestamp column
        if column.isna().any():
            raise DataError(
                f"column {name!r}: empty time value at {rows.first_of(column.isna())}",
                where=path,
            )
        return pd.DatetimeIndex(column), None
    text = column.astype("string").str.strip()
    empty = text.isna() | (text == "")
    if empty.any():
        raise DataError(f"column {name!r}: empty time value at {rows.first_of(empty)}", where=path)
    parsed = parse_time_text(text, cfg.time_format)
    bad = parsed.times.isna()
    if bad.any():
        value = text[bad].iloc[0]
        raise DataError(
            f"column {name!r}: cannot parse time value {value!r} at {rows.first_of(bad)} "
            + _expected_times(text, cfg.time_format),
            where=path,
        )
    if parsed.kind == "decimal years":
        words = decimal_years_words(parsed, text)
        say_once(_log, logging.INFO, f"column {name!r} of {path.name}: {words}")
    times = pd.DatetimeIndex(parsed.times)
    return times, parsed.display or detect_time_format(column, times)


def _expected_times(text: pd.Series, time_format: str | None) -> str:
    """What the time column should hold, and the fix."""
    if time_format is not None:
        return f"with data.time_format {time_format!r}: write every time that way, or change it"
    proposed = propose_format(text)
    if proposed is not None:
        return (
            f"as ISO 8601; the column reads as {proposed!r}: set data.time_format: "
            f"{json.dumps(proposed)}"
        )
    return (
        "(expected ISO 8601, e.g. 2012-01-31 or 2012-01-31T13:00:00, quarters such as "
        "1970Q1, decimal years such as 1960.25; or set data.time_format, a strftime format)"
    )
